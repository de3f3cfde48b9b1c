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
#include <cstring>
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

// Reads what is there; false at the end (a pty's master reads EIO once the child closed it).
bool drain(int fd, std::string& sink) {
  char buf[8192];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  if (n > 0) {
    sink.append(buf, static_cast<std::size_t>(n));
    return true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

std::string seconds_text(Clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

// Stops a pull that a signal cut short: podman removes what it had stored of the image.
void stop_pull(int pid) {
  ::kill(pid, SIGINT);
  const auto deadline = Clock::now() + k_stop_patience;
  while (Clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return;
    }
    ::usleep(50 * 1000);
  }
  ::kill(-pid, SIGKILL);
  wait_for_exit(pid);
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

  Channel out = pipe_channel();
  Channel err = drawing ? pty_channel() : pipe_channel();
  const auto start = Clock::now();
  const int pid = spawn_with_output(argv, out.write_end.get(), err.write_end.get());
  out.write_end.reset();
  err.write_end.reset();

  PullReport report;
  std::string stdout_text;
  std::string stderr_chunk;
  bool out_open = true;
  bool err_open = true;
  auto next_redraw = start;
  while (out_open || err_open) {
    std::vector<pollfd> fds;
    fds.push_back({out_open ? out.read_end.get() : -1, POLLIN, 0});
    fds.push_back({err_open ? err.read_end.get() : -1, POLLIN, 0});
    fds.push_back({signals != nullptr ? signals->fd() : -1, POLLIN, 0});
    ::poll(fds.data(), fds.size(), static_cast<int>(k_redraw.count()));
    if (signals != nullptr) {
      if (const auto signo = signals->take()) {
        status.clear();
        stop_pull(pid);
        throw Interrupted(*signo);
      }
    }
    if (out_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      out_open = drain(fds[0].fd, stdout_text);
    }
    if (err_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      stderr_chunk.clear();
      err_open = drain(fds[1].fd, stderr_chunk);
      report.feed(stderr_chunk);
    }
    if (const auto now = Clock::now(); drawing && now >= next_redraw) {
      status.show(pull_status(image, report, std::chrono::duration_cast<std::chrono::seconds>(now - start)));
      next_redraw = now + k_redraw;
    }
  }
  const int exit_status = wait_for_exit(pid);
  report.finish();
  status.clear();
  const std::string id = first_line(stdout_text);
  if (exit_status != 0 || id.empty()) {
    const std::string said = report.error().empty() ? report.last_message() : report.error();
    throw Error(pull_failure_message(image, said, access, storage_root));
  }
  const auto copied = report.copied_bytes();
  std::cerr << "bcvk: pulled " << image << " in " << seconds_text(Clock::now() - start) << " (image "
            << terminal_safe(id.substr(0, 12), Charset::ascii)
            << (copied > 0 ? ", " + format_size(copied) + " downloaded" : std::string()) << ")" << std::endl;
  return id;
}

} // namespace bcvk
