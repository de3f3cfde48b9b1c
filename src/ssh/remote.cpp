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

namespace bcvk {
namespace {

constexpr std::size_t k_buffer_limit = 256 * 1024;
constexpr int k_idle_poll_ms = 100;
constexpr auto k_request_timeout = std::chrono::seconds(30);

void cancel_listener(LIBSSH2_LISTENER* listener) {
  libssh2_channel_forward_cancel(listener);
}
using ListenerHandle = Handle<LIBSSH2_LISTENER, cancel_listener>;

void wait_for_socket(const SshSession& s, int timeout_ms) {
  const int directions = libssh2_session_block_directions(s.get());
  pollfd p{s.socket(), 0, 0};
  if ((directions & LIBSSH2_SESSION_BLOCK_INBOUND) != 0) {
    p.events |= POLLIN;
  }
  if ((directions & LIBSSH2_SESSION_BLOCK_OUTBOUND) != 0) {
    p.events |= POLLOUT;
  }
  ::poll(&p, 1, p.events == 0 ? 10 : timeout_ms);
}

// Repeats a non-blocking libssh2 call while it says EAGAIN; for one-off requests (open a channel,
// ask for a pty), where waiting a round trip is fine.
template <typename Call> auto retry(const SshSession& s, const char* what, Call call) {
  const auto deadline = std::chrono::steady_clock::now() + k_request_timeout;
  while (true) {
    auto result = call();
    bool again = false;
    if constexpr (std::is_pointer_v<decltype(result)>) {
      again = result == nullptr && libssh2_session_last_errno(s.get()) == LIBSSH2_ERROR_EAGAIN;
    } else {
      again = result == LIBSSH2_ERROR_EAGAIN;
    }
    if (!again) {
      return result;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw SshError(SshFailure::broken, std::string(what) + ": no answer from the VM within 30 s");
    }
    wait_for_socket(s, k_idle_poll_ms);
  }
}

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n > 0) {
      data += n;
      size -= static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, k_idle_poll_ms);
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

// One forwarded TCP connection: a local socket paired with an SSH channel.
struct Relay {
  Relay(Fd s, SshChannelHandle c) : socket(std::move(s)), channel(std::move(c)) {}
  Fd socket;
  SshChannelHandle channel;
  std::string to_channel;
  std::string to_socket;
  bool socket_eof = false;
  bool eof_sent = false;
  bool channel_eof = false;
  bool failed = false;

  bool finished() const {
    return failed || (socket_eof && eof_sent && channel_eof && to_socket.empty() && to_channel.empty());
  }
};

struct LocalListener {
  Fd fd;
  ForwardSpec spec;
};

struct RemoteListener {
  ListenerHandle handle;
  ForwardSpec spec;
};

Fd listen_locally(const ForwardSpec& spec) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string bind = spec.bind_address == "*" ? "0.0.0.0" : spec.bind_address;
  if (::getaddrinfo(bind.c_str(), std::to_string(spec.listen_port).c_str(), &hints, &found) != 0) {
    throw UsageError("-L: cannot resolve bind address '" + spec.bind_address + "'");
  }
  Fd fd(::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const bool ok = fd && ::bind(fd.get(), found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd.get(), 16) == 0;
  const int err = errno;
  ::freeaddrinfo(found);
  if (!ok) {
    throw Error("-L: cannot listen on " + bind + ":" + std::to_string(spec.listen_port) + ": " + std::strerror(err));
  }
  return fd;
}

// Connects to a host-side target of a -R forward; loopback targets answer at once.
Fd connect_to(const std::string& host, unsigned port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) {
    return Fd();
  }
  Fd fd(::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const bool ok = fd && ::connect(fd.get(), found->ai_addr, found->ai_addrlen) == 0;
  ::freeaddrinfo(found);
  if (!ok) {
    return Fd();
  }
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
  return fd;
}

// Moves bytes both ways; true when anything moved.
bool pump_relay(Relay& r) {
  bool progress = false;
  std::array<char, 32768> buffer{};
  if (!r.socket_eof && r.to_channel.size() < k_buffer_limit) {
    const ssize_t n = ::recv(r.socket.get(), buffer.data(), buffer.size(), 0);
    if (n > 0) {
      r.to_channel.append(buffer.data(), static_cast<std::size_t>(n));
      progress = true;
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      r.socket_eof = true;
      progress = true;
    }
  }
  while (!r.to_channel.empty()) {
    const ssize_t n = libssh2_channel_write(r.channel.get(), r.to_channel.data(), r.to_channel.size());
    if (n == LIBSSH2_ERROR_EAGAIN) {
      break;
    }
    if (n < 0) {
      r.failed = true;
      return true;
    }
    r.to_channel.erase(0, static_cast<std::size_t>(n));
    progress = true;
  }
  if (r.socket_eof && r.to_channel.empty() && !r.eof_sent) {
    const int rc = libssh2_channel_send_eof(r.channel.get());
    if (rc == 0) {
      r.eof_sent = true;
      progress = true;
    } else if (rc != LIBSSH2_ERROR_EAGAIN) {
      r.failed = true;
    }
  }
  while (!r.channel_eof && r.to_socket.size() < k_buffer_limit) {
    const ssize_t n = libssh2_channel_read(r.channel.get(), buffer.data(), buffer.size());
    if (n > 0) {
      r.to_socket.append(buffer.data(), static_cast<std::size_t>(n));
      progress = true;
    } else if (n == 0 && libssh2_channel_eof(r.channel.get()) != 0) {
      r.channel_eof = true;
      progress = true;
    } else {
      if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
        r.failed = true;
      }
      break;
    }
  }
  while (!r.to_socket.empty()) {
    const ssize_t n = ::send(r.socket.get(), r.to_socket.data(), r.to_socket.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) {
        r.failed = true;
      }
      break;
    }
    r.to_socket.erase(0, static_cast<std::size_t>(n));
    progress = true;
  }
  if (r.channel_eof && r.to_socket.empty()) {
    ::shutdown(r.socket.get(), SHUT_WR);
  }
  return progress;
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
  bool wants_input() const { return m_stdin_open && m_to_remote.size() < k_buffer_limit; }

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
    char* signal_name = nullptr;
    std::size_t signal_len = 0;
    libssh2_channel_get_exit_signal(get(), &signal_name, &signal_len, nullptr, nullptr, nullptr, nullptr);
    if (signal_name != nullptr) {
      const std::string name(signal_name, signal_len);
      libssh2_free(m_session.get(), signal_name);
      return exit_status_for_signal(name);
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

class ForwardSet {
public:
  ForwardSet(const SshSession& session, const std::vector<ForwardSpec>& specs) : m_session(session) {
    for (const auto& spec : specs) {
      if (spec.direction == ForwardDirection::local) {
        m_local.push_back({listen_locally(spec), spec});
        continue;
      }
      int bound = 0;
      LIBSSH2_LISTENER* listener = retry(session, "setting up -R", [&] {
        return libssh2_channel_forward_listen_ex(session.get(), spec.bind_address.c_str(),
                                                 static_cast<int>(spec.listen_port), &bound, 16);
      });
      if (listener == nullptr) {
        throw Error("-R: the VM refused to listen on " + spec.bind_address + ":" + std::to_string(spec.listen_port) +
                    ": " + session.last_error());
      }
      m_remote.push_back({ListenerHandle(listener), spec});
    }
  }

  void add_poll_fds(std::vector<pollfd>& fds) const {
    for (const auto& l : m_local) {
      fds.push_back({l.fd.get(), POLLIN, 0});
    }
    for (const auto& r : m_relays) {
      short events = 0;
      if (!r.socket_eof && r.to_channel.size() < k_buffer_limit) {
        events |= POLLIN;
      }
      if (!r.to_socket.empty()) {
        events |= POLLOUT;
      }
      fds.push_back({r.socket.get(), events, 0});
    }
  }

  bool pump() {
    bool progress = false;
    for (auto& l : m_local) {
      progress = accept_local(l) || progress;
    }
    for (auto& r : m_remote) {
      progress = accept_remote(r) || progress;
    }
    for (auto& relay : m_relays) {
      progress = pump_relay(relay) || progress;
    }
    std::erase_if(m_relays, [](const Relay& r) { return r.finished(); });
    return progress;
  }

private:
  bool accept_local(LocalListener& l) {
    Fd client(::accept4(l.fd.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!client) {
      return false;
    }
    LIBSSH2_CHANNEL* channel = retry(m_session, "opening a -L channel", [&] {
      return libssh2_channel_direct_tcpip_ex(m_session.get(), l.spec.target_host.c_str(),
                                             static_cast<int>(l.spec.target_port), "127.0.0.1",
                                             static_cast<int>(l.spec.listen_port));
    });
    if (channel == nullptr) {
      spdlog::warn("-L {}: the VM could not connect to {}:{}: {}", l.spec.listen_port, l.spec.target_host,
                   l.spec.target_port, m_session.last_error());
      return true;
    }
    m_relays.emplace_back(std::move(client), SshChannelHandle(channel));
    return true;
  }

  bool accept_remote(RemoteListener& r) {
    LIBSSH2_CHANNEL* channel = libssh2_channel_forward_accept(r.handle.get());
    if (channel == nullptr) {
      return false;
    }
    SshChannelHandle owned(channel);
    Fd target = connect_to(r.spec.target_host, r.spec.target_port);
    if (!target) {
      spdlog::warn("-R {}: cannot connect to {}:{} on the host", r.spec.listen_port, r.spec.target_host,
                   r.spec.target_port);
      return true;
    }
    m_relays.emplace_back(std::move(target), std::move(owned));
    return true;
  }

  const SshSession& m_session;
  std::vector<LocalListener> m_local;
  std::vector<RemoteListener> m_remote;
  std::vector<Relay> m_relays;
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
    if (::poll(fds.data(), fds.size(), k_idle_poll_ms) < 0 && errno != EINTR) {
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
