#include "bcvk/host/image_pull.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <algorithm>
#include <iostream>

#include <spdlog/spdlog.h>

#include "bcvk/host/process.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/handle.hpp"
#include "bcvk/util/status_line.hpp"
#include "bcvk/util/size.hpp"
#include "bcvk/util/terminal_text.hpp"
#include "bcvk/vm/pull_report.hpp"

namespace bcvk {
namespace {

using Clock = std::chrono::steady_clock;

// podman draws its progress bars only on a terminal: it gets one of its own, wide enough that
// every bar shows its sizes, and bcvk reads them and draws its own line.
constexpr unsigned short k_pty_columns = 160;
constexpr auto k_redraw = std::chrono::milliseconds(250);
// After a termination signal podman is asked to stop (SIGINT, as a Ctrl-C would), then made to.
constexpr auto k_stop_patience = std::chrono::seconds(10);

struct Channel {
  Fd read_end;
  Fd write_end; // the child's end, closed once it is started
};

Channel pipe_channel() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw Error(std::string("pipe: ") + std::strerror(errno));
  }
  return {Fd(fds[0]), Fd(fds[1])};
}

Channel pty_channel() {
  int master = -1;
  int slave = -1;
  winsize ws{};
  ws.ws_col = k_pty_columns;
  ws.ws_row = 50;
  if (::openpty(&master, &slave, nullptr, nullptr, &ws) != 0) {
    throw Error(std::string("openpty: ") + std::strerror(errno));
  }
  Channel c{Fd(master), Fd(slave)};
  ::fcntl(master, F_SETFD, FD_CLOEXEC);
  ::fcntl(slave, F_SETFD, FD_CLOEXEC);
  return c;
}

// Reads what is there into `sink` (at most `cap` bytes kept); false at the end (a pty's master
// reads EIO once the child closed it).
bool drain(int fd, std::string& sink, std::size_t cap) {
  char buf[8192];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  if (n > 0) {
    sink.append(buf, std::min(static_cast<std::size_t>(n), cap - std::min(cap, sink.size())));
    return true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

std::string seconds_text(Clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

bool is_image_id(const std::string& id) {
  return id.size() == 64 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// podman's output while it runs: its stdout (the ID at the end) and its stderr (what it says,
// through a pty or a pipe), read until both end. Once podman has exited, what it left in them is
// read for a moment more: something it started could hold them open for ever.
class PullOutput {
public:
  PullOutput(int out, int err) : m_out(out), m_err(err) {}

  // Until podman has exited and its output ended: the loop keeps watching signals meanwhile.
  bool open() const { return !m_exited || m_out >= 0 || m_err >= 0; }
  // Waits up to `wait` for output, the child's exit, or a signal, and takes what came.
  void take(std::chrono::milliseconds wait, Child& podman, SignalCatcher* signals, PullReport* report) {
    pollfd fds[4] = {{m_out, POLLIN, 0},
                     {m_err, POLLIN, 0},
                     {signals != nullptr ? signals->fd() : -1, POLLIN, 0},
                     {m_exited ? -1 : podman.exit_fd(), POLLIN, 0}};
    ::poll(fds, 4, static_cast<int>(wait.count()));
    if (m_out >= 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !drain(m_out, m_stdout, k_max_stdout)) {
      m_out = -1;
    }
    if (m_err >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      std::string chunk;
      if (!drain(m_err, chunk, sizeof(char) * 8192)) {
        m_err = -1;
      }
      if (report != nullptr) {
        report->feed(chunk);
      }
    }
    if (!m_exited && podman.exited()) {
      m_exited = true;
      m_linger_until = Clock::now() + k_linger;
    }
    if (m_exited && Clock::now() >= m_linger_until) { // something podman started holds them
      m_out = m_err = -1;
    }
  }
  const std::string& stdout_text() const { return m_stdout; }

private:
  static constexpr std::size_t k_max_stdout = 64 * 1024;
  static constexpr auto k_linger = std::chrono::seconds(1);
  int m_out;
  int m_err;
  bool m_exited = false;
  Clock::time_point m_linger_until;
  std::string m_stdout;
};

// A private directory (0700) in the TMPDIR podman would use (/var/tmp by default: large files),
// removed with all podman left in it.
class PullTemporaryDir {
public:
  PullTemporaryDir() {
    const char* base = std::getenv("TMPDIR");
    std::string name = std::string(base != nullptr && *base == '/' ? base : "/var/tmp") + "/bcvk-pull-XXXXXX";
    if (::mkdtemp(name.data()) == nullptr) {
      throw Error("cannot make a temporary directory for the pull in " + name.substr(0, name.rfind('/')) + ": " +
                  std::strerror(errno));
    }
    m_path = name;
  }
  ~PullTemporaryDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  PullTemporaryDir(const PullTemporaryDir&) = delete;
  PullTemporaryDir& operator=(const PullTemporaryDir&) = delete;
  const std::string& path() const { return m_path; }

private:
  std::string m_path;
};

// Stops a pull that a signal cut short: podman is asked as a Ctrl-C would (it removes what it had
// stored of the image), its output still read so it never blocks writing it; a second signal, or
// no end within the patience, kills it and what it started.
void stop_pull(Child& podman, PullOutput& output, SignalCatcher& signals) {
  podman.signal(SIGINT);
  const auto deadline = Clock::now() + k_stop_patience;
  while (!podman.exited() && Clock::now() < deadline) {
    output.take(std::chrono::milliseconds(100), podman, nullptr, nullptr);
    if (signals.take()) {
      break;
    }
  }
  podman.kill_group();
  podman.wait();
}

} // namespace

std::string pull_image_showing_progress(const std::string& image, const RegistryAccess& access,
                                        const std::string& storage_root, SignalCatcher* signals) {
  StatusLine status;
  const bool drawing = status.active();
  if (!drawing) {
    std::cerr << "bcvk: pulling " << image << std::endl;
  }
  std::vector<std::string> argv{"podman", "pull"};
  const auto args = podman_pull_arguments(image, access);
  argv.insert(argv.end(), args.begin(), args.end());
  spdlog::debug("running {}", quote_command(argv));

  // podman downloads into TMPDIR and leaves what it had there when it is stopped: each pull gets a
  // directory of its own, removed afterwards whatever happened.
  const PullTemporaryDir tmp;
  Channel out = pipe_channel();
  Channel err = drawing ? pty_channel() : pipe_channel();
  const auto start = Clock::now();
  Child podman(argv, out.write_end.get(), err.write_end.get(), {{"TMPDIR", tmp.path()}});
  out.write_end.reset();
  err.write_end.reset();

  PullReport report;
  PullOutput output(out.read_end.get(), err.read_end.get());
  auto next_redraw = start;
  while (output.open()) {
    output.take(k_redraw, podman, signals, &report);
    if (signals != nullptr) {
      if (const auto signo = signals->take()) {
        status.clear();
        stop_pull(podman, output, *signals);
        throw Interrupted(*signo);
      }
    }
    if (const auto now = Clock::now(); drawing && now >= next_redraw) {
      status.show(pull_status(image, report, std::chrono::duration_cast<std::chrono::seconds>(now - start)));
      next_redraw = now + k_redraw;
    }
  }
  const int exit_status = podman.wait();
  report.finish();
  status.clear();
  const std::string id = first_line(output.stdout_text());
  if (exit_status != 0 || !is_image_id(id)) {
    const std::string said = report.error().empty() ? report.last_message() : report.error();
    throw Error(pull_failure_message(image, said, access, storage_root));
  }
  const auto copied = report.copied_bytes();
  std::cerr << "bcvk: pulled " << image << " in " << seconds_text(Clock::now() - start) << " (image "
            << id.substr(0, 12) << (copied > 0 ? ", " + format_size(copied) + " downloaded" : std::string()) << ")"
            << std::endl;
  return id;
}

} // namespace bcvk
