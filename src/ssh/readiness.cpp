#include "bcvk/ssh/readiness.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <deque>
#include <iostream>

#include <spdlog/spdlog.h>

#include "bcvk/ssh/keys.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/util/progress_watch.hpp"
#include "bcvk/util/status_line.hpp"

namespace bcvk {
namespace {

using Clock = std::chrono::steady_clock;

// A guest that refuses the connection (network up, sshd not yet) is asked again this often.
constexpr auto k_attempt_interval = std::chrono::milliseconds(200);
// A connection that has seen no banner for this long is either held by a guest without network
// or being served by a slow sshd (under emulation sshd needs 1-3 s per connection). Another one
// is opened alongside, but only a few: each connection sshd accepts costs the guest a process.
constexpr auto k_stall = std::chrono::milliseconds(1500);
constexpr auto k_liveness_interval = std::chrono::milliseconds(500);
// A connection QEMU accepted but the guest never answered (no network yet) is given up after this.
constexpr auto k_banner_patience = std::chrono::seconds(8);
constexpr std::size_t k_max_pending = 3;
constexpr auto k_session_timeout = std::chrono::milliseconds(30000);

constexpr const char* k_nothing_yet = "no connection attempt finished";
constexpr const char* k_no_answer = "connections got no answer: the guest's network is not up, or sshd is very slow";

struct Pending {
  Fd fd;
  Clock::time_point started;
};

} // namespace

SshTarget ssh_target_for(const std::string& instance_dir, const InstanceRecord& state) {
  if (!has_ssh_keys(instance_dir)) {
    throw Error("VM " + state.name + " was started without -K/--ssh-keygen, so bcvk has no SSH key for it; run it " +
                "with -K (e.g. 'bcvk ephemeral run -d -K " + state.image + "')");
  }
  if (state.ssh_port == 0) {
    throw Error("VM " + state.name + " has no network (--network none), so it cannot be reached over SSH");
  }
  const SshKeyPaths paths = ssh_key_paths(instance_dir);
  return {.vm_name = state.name,
          .port = state.ssh_port,
          .client_key = paths.client_key,
          .client_public = paths.client_public,
          .host_key_blob = parse_public_key(read_text_file(paths.host_public)).blob,
          .host_public_path = paths.host_public};
}

SshSession wait_for_ssh(const SshTarget& target, const ReadinessCheck& check, SignalCatcher& signals) {
  const auto start = Clock::now();
  ProgressWatch watch(start, check.timeout, check.activity ? check.stall_limit : check.timeout);
  StatusLine spinner;
  const std::string waiting_for = "waiting for SSH on " + target.vm_name;
  std::deque<Pending> pending;
  std::string last_problem = k_nothing_yet;
  bool sshd_answered = false; // the last problem came from sshd itself: the guest is up
  std::string step;
  auto next_step = start;
  // The failure message, with what the guest's own logs say about it as lines of their own.
  const auto failure = [&check](const std::string& message) {
    return SshNotReady(message, check.diagnosis ? check.diagnosis() : std::string());
  };
  const auto see_console = "see its console log " + check.console_log;
  auto next_attempt = start;
  auto next_liveness = start;
  while (true) {
    const auto now = Clock::now();
    if (now >= next_liveness) {
      if (check.vm_running && !check.vm_running()) {
        const std::string cause = check.stop_cause ? check.stop_cause() : std::string();
        throw failure(cause.empty() ? "VM " + target.vm_name + " stopped before SSH came up; " + see_console
                                    : cause + " before SSH came up on VM " + target.vm_name + "; " + see_console);
      }
      // What sshd says counts as progress too: a guest whose sshd starts answering is not stuck.
      watch.observe(now, (check.activity ? check.activity() : std::string()) + "\n" + last_problem);
      next_liveness = now + k_liveness_interval;
    }
    const auto verdict = watch.verdict(now);
    if (verdict != ProgressWatch::Verdict::waiting) {
      if (!pending.empty() && last_problem == k_nothing_yet) {
        last_problem = k_no_answer;
      }
      if (verdict == ProgressWatch::Verdict::stalled && sshd_answered) {
        throw failure("SSH to VM " + target.vm_name + " did not come up: sshd answers, but " + last_problem +
                      ", and nothing changed for " + std::to_string(watch.quiet_for(now).count()) + " s; " +
                      see_console);
      }
      if (verdict == ProgressWatch::Verdict::stalled) {
        throw failure("SSH to VM " + target.vm_name + " did not come up: the guest made no progress for " +
                      std::to_string(watch.quiet_for(now).count()) + " s (no new console or journal output; " +
                      last_problem + "), so it looks stuck; " + see_console);
      }
      throw failure("SSH to VM " + target.vm_name + " did not come up within " + std::to_string(check.timeout.count()) +
                    " s, the hard cap (" + last_problem +
                    "): the guest may not run sshd, may lack networking, or may need longer (--ssh-timeout); " +
                    see_console);
    }
    const bool all_stalled =
        std::all_of(pending.begin(), pending.end(), [now](const Pending& p) { return now - p.started >= k_stall; });
    if (now >= next_attempt && all_stalled && pending.size() < k_max_pending) {
      pending.push_back({start_loopback_connect(target.port), now});
      next_attempt = now + k_attempt_interval;
    }
    if (check.progress && spinner.active() && now >= next_step) {
      step = check.progress();
      next_step = now + std::chrono::seconds(1);
    }
    spinner.show(waiting_for + " (" +
                 std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - start).count()) + " s)" +
                 (step.empty() ? "" : ": guest " + step));

    std::vector<pollfd> fds{{signals.fd(), POLLIN, 0}};
    for (const auto& p : pending) {
      fds.push_back({p.fd.get(), POLLIN, 0});
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt - Clock::now()).count();
    ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<long long>(wait, 20, 200)));
    if ((fds[0].revents & POLLIN) != 0) {
      if (const auto signo = signals.take()) {
        throw Interrupted(*signo);
      }
    }
    for (auto it = pending.begin(); it != pending.end();) {
      const BannerState state = peek_banner(it->fd.get());
      if (state == BannerState::waiting && Clock::now() - it->started < k_banner_patience) {
        ++it;
        continue;
      }
      if (state != BannerState::arrived) {
        sshd_answered = false;
        last_problem = state == BannerState::closed ? "the guest refused the connection: sshd is not listening"
                       : state == BannerState::not_ssh
                           ? "something other than sshd answers on port " + std::to_string(target.port)
                           : k_no_answer;
        spdlog::debug("connection attempt ended: {}", last_problem);
        it = pending.erase(it);
        next_attempt = std::min(next_attempt, Clock::now() + k_attempt_interval);
        continue;
      }
      // The benchmark reads this line: opening the connection that sshd answered is the moment
      // bcvk noticed sshd, on the wall clock so it can be set against the guest's journal.
      const auto answered = Clock::now();
      const auto opened_wall = std::chrono::system_clock::now() - (answered - it->started);
      spdlog::debug("sshd of {} answered after {} ms on a connection opened at Unix time {:.3f}", target.vm_name,
                    std::chrono::duration_cast<std::chrono::milliseconds>(answered - start).count(),
                    std::chrono::duration<double>(opened_wall.time_since_epoch()).count());
      Fd fd = std::move(it->fd);
      it = pending.erase(it);
      sshd_answered = true;
      try {
        // The guest sets the pace: bounded by the session timeout and the hard cap, ended by Ctrl-C.
        const SshWait session_wait{std::min(Clock::now() + k_session_timeout, start + check.timeout), &signals};
        SshSession session = SshSession::over(std::move(fd), target, session_wait);
        const int status = session.run_quietly("true", session_wait);
        if (status == 0) {
          spdlog::info("SSH to {} is ready after {} ms", target.vm_name,
                       std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
          return session;
        }
        last_problem = "'true' exited with " + std::to_string(status);
      } catch (const SshError& e) {
        if (e.failure() == SshFailure::host_key_mismatch) {
          throw;
        }
        last_problem = e.what();
        spdlog::debug("SSH not ready yet: {}", e.what());
      }
    }
  }
}

} // namespace bcvk
