#include "bcvk/ssh/remote.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <type_traits>

#include <spdlog/spdlog.h>

#include "bcvk/host/console.hpp"
#include "bcvk/ssh/nonblocking.hpp"
#include "bcvk/ssh/port_forwarding.hpp"

namespace bcvk {
namespace {

// How much of stdin is buffered for the remote side before bcvk stops reading it.
constexpr std::size_t k_input_buffer_limit = 256 * 1024;

// The exit-signal name libssh2 hands out; bcvk's sessions use libssh2's default allocator
// (libssh2_session_init), which is malloc's.
void free_libssh2_string(char* text) {
  std::free(text);
}
using Libssh2String = Handle<char, free_libssh2_string>;

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n > 0) {
      data += n;
      size -= static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, k_ssh_idle_poll_ms);
    } else {
      throw Error(std::string("cannot write the remote output: ") + std::strerror(errno));
    }
  }
}

// SIGWINCH arrives in whichever thread; a self-pipe turns it into something poll() sees.
class WindowChanges {
public:
  WindowChanges() {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC | O_NONBLOCK) != 0) {
      throw Error(std::string("pipe failed: ") + std::strerror(errno));
    }
    m_read = Fd(fds[0]);
    m_write = Fd(fds[1]);
    s_write_fd = m_write.get();
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGWINCH, &sa, &m_previous);
  }
  ~WindowChanges() {
    ::sigaction(SIGWINCH, &m_previous, nullptr);
    s_write_fd = -1;
  }
  WindowChanges(const WindowChanges&) = delete;
  WindowChanges& operator=(const WindowChanges&) = delete;

  int fd() const { return m_read.get(); }
  void drain() const {
    std::array<char, 64> buffer{};
    while (::read(m_read.get(), buffer.data(), buffer.size()) > 0) {
    }
  }

private:
  static void on_signal(int /*signo*/) {
    const int saved = errno;
    const char byte = 0;
    [[maybe_unused]] const ssize_t n = ::write(s_write_fd, &byte, 1);
    errno = saved;
  }
  static inline volatile int s_write_fd = -1;
  Fd m_read;
  Fd m_write;
  struct sigaction m_previous {};
};

winsize terminal_size() {
  winsize size{};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) != 0 || size.ws_col == 0) {
    size.ws_col = 80;
    size.ws_row = 24;
  }
  return size;
}

// The remote command's channel: stdin goes in, stdout and stderr come out separately.
class MainChannel {
public:
  MainChannel(const SshSession& session, const RemoteRequest& request) : m_session(session) {
    m_channel = SshChannelHandle(
        retry(session, "opening an SSH session", [&] { return libssh2_channel_open_session(session.get()); }));
    if (!m_channel) {
      throw SshError(SshFailure::broken, "cannot open an SSH session channel: " + session.last_error());
    }
    LIBSSH2_CHANNEL* ch = m_channel.get();
    if (request.pty) {
      const char* env_term = std::getenv("TERM");
      const std::string term = env_term != nullptr && *env_term != '\0' ? env_term : "xterm";
      const winsize size = terminal_size();
      const int rc = retry(session, "requesting a terminal", [&] {
        return libssh2_channel_request_pty_ex(ch, term.c_str(), static_cast<unsigned>(term.size()), nullptr, 0,
                                              size.ws_col, size.ws_row, 0, 0);
      });
      if (rc != 0) {
        throw SshError(SshFailure::broken, "the VM refused a pseudo-terminal: " + session.last_error());
      }
    }
    const int rc =
        request.command.empty()
            ? retry(session, "starting a shell", [&] { return libssh2_channel_shell(ch); })
            : retry(session, "starting the command", [&] { return libssh2_channel_exec(ch, request.command.c_str()); });
    if (rc != 0) {
      throw SshError(SshFailure::broken, "the VM refused to run the command: " + session.last_error());
    }
  }

  LIBSSH2_CHANNEL* get() const { return m_channel.get(); }
  bool wants_input() const { return m_stdin_open && m_to_remote.size() < k_input_buffer_limit; }

  // Reads what stdin has; false once stdin is closed.
  void read_input() {
    std::array<char, 32768> buffer{};
    const ssize_t n = ::read(STDIN_FILENO, buffer.data(), buffer.size());
    if (n > 0) {
      m_to_remote.append(buffer.data(), static_cast<std::size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      m_stdin_open = false;
    }
  }

  bool pump() {
    bool progress = false;
    while (!m_to_remote.empty()) {
      const ssize_t n = libssh2_channel_write(get(), m_to_remote.data(), m_to_remote.size());
      if (n == LIBSSH2_ERROR_EAGAIN) {
        break;
      }
      if (n < 0) {
        m_to_remote.clear(); // the command no longer reads its input
        break;
      }
      m_to_remote.erase(0, static_cast<std::size_t>(n));
      progress = true;
    }
    if (!m_stdin_open && m_to_remote.empty() && !m_eof_sent) {
      const int rc = libssh2_channel_send_eof(get());
      m_eof_sent = rc != LIBSSH2_ERROR_EAGAIN;
      progress = progress || m_eof_sent;
    }
    progress = drain(0, STDOUT_FILENO, m_stdout_done) || progress;
    progress = drain(SSH_EXTENDED_DATA_STDERR, STDERR_FILENO, m_stderr_done) || progress;
    return progress;
  }

  bool finished() const { return m_stdout_done && m_stderr_done; }

  void resize() const {
    const winsize size = terminal_size();
    retry(m_session, "resizing the terminal",
          [&] { return libssh2_channel_request_pty_size_ex(get(), size.ws_col, size.ws_row, 0, 0); });
  }

  int exit_status() const {
    retry(m_session, "closing the channel", [&] { return libssh2_channel_close(get()); });
    retry(m_session, "closing the channel", [&] { return libssh2_channel_wait_closed(get()); });
    char* raw_signal = nullptr;
    std::size_t signal_len = 0;
    libssh2_channel_get_exit_signal(get(), &raw_signal, &signal_len, nullptr, nullptr, nullptr, nullptr);
    const Libssh2String signal_name(raw_signal);
    if (signal_name) {
      return exit_status_for_signal(std::string(signal_name.get(), signal_len));
    }
    return libssh2_channel_get_exit_status(get());
  }

private:
  bool drain(int stream, int out_fd, bool& done) {
    bool progress = false;
    std::array<char, 32768> buffer{};
    while (!done) {
      const ssize_t n = libssh2_channel_read_ex(get(), stream, buffer.data(), buffer.size());
      if (n > 0) {
        write_all(out_fd, buffer.data(), static_cast<std::size_t>(n));
        progress = true;
      } else if (n == 0 && libssh2_channel_eof(get()) != 0) {
        done = true;
        progress = true;
      } else if (n == LIBSSH2_ERROR_EAGAIN || n == 0) {
        break;
      } else {
        throw SshError(SshFailure::broken, "the SSH connection to the VM broke: " + m_session.last_error());
      }
    }
    return progress;
  }

  const SshSession& m_session;
  SshChannelHandle m_channel;
  std::string m_to_remote;
  bool m_stdin_open = true;
  bool m_eof_sent = false;
  bool m_stdout_done = false;
  bool m_stderr_done = false;
};

} // namespace

std::string remote_command_line(const std::vector<std::string>& words) {
  std::string line;
  for (const auto& word : words) {
    line += (line.empty() ? "" : " ") + word;
  }
  return line;
}

int exit_status_for_signal(const std::string& name) {
  static const std::map<std::string, int> k_numbers{
      {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ILL", SIGILL},   {"ABRT", SIGABRT},
      {"FPE", SIGFPE},   {"KILL", SIGKILL}, {"SEGV", SIGSEGV}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
      {"TERM", SIGTERM}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"BUS", SIGBUS}};
  const auto it = k_numbers.find(name.rfind("SIG", 0) == 0 ? name.substr(3) : name);
  return it == k_numbers.end() ? 255 : 128 + it->second;
}

int run_remote(const SshSession& session, const RemoteRequest& request, SignalCatcher& signals) {
  session.set_blocking(false);
  ForwardSet forwards(session, request.forwards);
  MainChannel main(session, request);
  std::optional<RawTerminal> raw;
  std::optional<WindowChanges> window;
  if (request.pty) {
    raw.emplace();
    window.emplace();
  }
  while (true) {
    bool progress = true;
    while (progress) {
      progress = main.pump();
      progress = forwards.pump() || progress;
    }
    if (main.finished()) {
      break;
    }
    std::vector<pollfd> fds{{session.socket(), POLLIN, 0}, {signals.fd(), POLLIN, 0}};
    if ((libssh2_session_block_directions(session.get()) & LIBSSH2_SESSION_BLOCK_OUTBOUND) != 0) {
      fds[0].events |= POLLOUT;
    }
    const std::size_t stdin_index = fds.size();
    fds.push_back({main.wants_input() ? STDIN_FILENO : -1, POLLIN, 0});
    const std::size_t window_index = fds.size();
    fds.push_back({window ? window->fd() : -1, POLLIN, 0});
    forwards.add_poll_fds(fds);
    if (::poll(fds.data(), fds.size(), k_ssh_idle_poll_ms) < 0 && errno != EINTR) {
      throw Error(std::string("poll failed: ") + std::strerror(errno));
    }
    if ((fds[1].revents & POLLIN) != 0) {
      if (const auto signo = signals.take()) {
        throw Interrupted(*signo);
      }
    }
    if ((fds[stdin_index].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      main.read_input();
    }
    if ((fds[window_index].revents & POLLIN) != 0) {
      window->drain();
      main.resize();
    }
  }
  raw.reset();
  return main.exit_status();
}

} // namespace bcvk
