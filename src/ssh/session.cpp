#include "bcvk/ssh/session.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <type_traits>

#include "bcvk/vm/credentials.hpp"

namespace bcvk {
namespace {

void init_libssh2_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (libssh2_init(0) != 0) {
      throw Error("libssh2 could not initialise its crypto backend");
    }
  });
}

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Calls `call` (a libssh2 function, the session non-blocking) until it no longer asks to be called
// again, waiting meanwhile for the socket in the direction libssh2 needs, for a termination signal
// and for the deadline: the server never decides alone how long this takes.
template <typename Call>
auto drive(LIBSSH2_SESSION* session, int socket, const SshWait& wait, const std::string& what, Call call) {
  while (true) {
    auto rc = call();
    if constexpr (std::is_pointer_v<decltype(rc)>) {
      if (rc != nullptr || libssh2_session_last_errno(session) != LIBSSH2_ERROR_EAGAIN) {
        return rc;
      }
    } else if (rc != LIBSSH2_ERROR_EAGAIN) {
      return rc;
    }
    const int left = remaining_ms(wait.deadline);
    if (left == 0) {
      throw SshError(SshFailure::broken, what + " took too long: the guest's sshd answers too slowly or not at all");
    }
    const int directions = libssh2_session_block_directions(session);
    short events = 0;
    events |= (directions & LIBSSH2_SESSION_BLOCK_INBOUND) != 0 ? POLLIN : 0;
    events |= (directions & LIBSSH2_SESSION_BLOCK_OUTBOUND) != 0 ? POLLOUT : 0;
    std::array<pollfd, 2> fds{{{socket, events != 0 ? events : static_cast<short>(POLLIN), 0},
                               {wait.signals != nullptr ? wait.signals->fd() : -1, POLLIN, 0}}};
    ::poll(fds.data(), fds.size(), std::min(left, 200));
    if (wait.signals != nullptr && (fds[1].revents & POLLIN) != 0) {
      if (const auto signo = wait.signals->take()) {
        throw Interrupted(*signo);
      }
    }
  }
}

std::string fingerprint(LIBSSH2_SESSION* session) {
  const char* hash = libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256);
  if (hash == nullptr) {
    return "(unknown)";
  }
  std::string text = "SHA256:" + base64_encode(std::string_view(hash, 32));
  while (!text.empty() && text.back() == '=') {
    text.pop_back();
  }
  return text;
}

} // namespace

Fd start_loopback_connect(unsigned port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) {
    throw SshError(SshFailure::broken, std::string("cannot create a socket: ") + std::strerror(errno));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    throw SshError(SshFailure::unreachable,
                   "cannot connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
  }
  return fd;
}

BannerState peek_banner(int fd) {
  std::array<char, 4> head{};
  const ssize_t n = ::recv(fd, head.data(), head.size(), MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) {
    return errno == EAGAIN || errno == EINTR || errno == ENOTCONN ? BannerState::waiting : BannerState::closed;
  }
  if (n == 0) {
    return BannerState::closed;
  }
  if (n < static_cast<ssize_t>(head.size())) {
    return BannerState::waiting;
  }
  return std::string_view(head.data(), head.size()) == "SSH-" ? BannerState::arrived : BannerState::not_ssh;
}

void close_ssh_session(LIBSSH2_SESSION* session) {
  libssh2_session_set_blocking(session, 1);
  libssh2_session_set_timeout(session, 2000);
  libssh2_session_disconnect(session, "bcvk closing");
  libssh2_session_free(session);
}

void free_ssh_channel(LIBSSH2_CHANNEL* channel) {
  // In non-blocking mode this may not finish; the session frees what is left when it goes.
  libssh2_channel_free(channel);
}

SshSession SshSession::connect(const SshTarget& target, const SshTimeouts& timeouts, SignalCatcher* signals) {
  Fd fd = start_loopback_connect(target.port);
  const auto deadline = std::chrono::steady_clock::now() + timeouts.banner;
  while (true) {
    const BannerState state = peek_banner(fd.get());
    if (state == BannerState::arrived) {
      return over(std::move(fd), target, {std::chrono::steady_clock::now() + timeouts.session, signals});
    }
    if (state == BannerState::closed) {
      throw SshError(SshFailure::unreachable, "VM " + target.vm_name + " closed the SSH connection (is sshd running?)");
    }
    if (state == BannerState::not_ssh) {
      throw SshError(SshFailure::broken,
                     "the service on 127.0.0.1:" + std::to_string(target.port) + " does not speak SSH");
    }
    if (remaining_ms(deadline) == 0) {
      throw SshError(SshFailure::unreachable, "no SSH banner from VM " + target.vm_name + " (is sshd running?)");
    }
    if (signals != nullptr) {
      signals->checkpoint();
    }
    pollfd p{fd.get(), POLLIN, 0};
    ::poll(&p, 1, std::min(remaining_ms(deadline), 50));
  }
}

SshSession SshSession::over(Fd socket, const SshTarget& target, const SshWait& wait) {
  init_libssh2_once();
  SshSession s;
  s.m_socket = std::move(socket);
  ::fcntl(s.m_socket.get(), F_SETFL, ::fcntl(s.m_socket.get(), F_GETFL) & ~O_NONBLOCK);

  s.m_session = SshSessionHandle(libssh2_session_init());
  LIBSSH2_SESSION* session = s.m_session.get();
  if (session == nullptr) {
    throw SshError(SshFailure::broken, "libssh2 could not create a session");
  }
  libssh2_session_set_blocking(session, 0);
  // Only the key type bcvk generated: the server must prove it holds exactly that key.
  libssh2_session_method_pref(session, LIBSSH2_METHOD_HOSTKEY, "ssh-ed25519");
  const int sock = s.m_socket.get();
  if (drive(session, sock, wait, "the SSH handshake with " + target.vm_name,
            [&] { return libssh2_session_handshake(session, sock); }) != 0) {
    throw SshError(SshFailure::broken, "SSH handshake with " + target.vm_name + " failed: " + s.last_error());
  }
  std::size_t key_len = 0;
  int key_type = 0;
  const char* key = libssh2_session_hostkey(session, &key_len, &key_type);
  if (key == nullptr || std::string_view(key, key_len) != target.host_key_blob) {
    throw SshError(SshFailure::host_key_mismatch,
                   "the SSH host key of VM " + target.vm_name + " on 127.0.0.1:" + std::to_string(target.port) + " (" +
                       fingerprint(session) + ") is not the one bcvk generated for it (" + target.host_public_path +
                       "): refusing to connect; something else may be listening on that port");
  }
  if (drive(session, sock, wait, "logging in to " + target.vm_name, [&] {
        return libssh2_userauth_publickey_fromfile_ex(session, "root", 4, target.client_public.c_str(),
                                                      target.client_key.c_str(), nullptr);
      }) != 0) {
    throw SshError(SshFailure::auth_rejected,
                   "VM " + target.vm_name + " refused bcvk's SSH key for root: " + s.last_error());
  }
  libssh2_session_set_blocking(session, 1);
  // Every blocking call on it from here on (the remote command verbs drive their own loops) waits
  // at most this long for the guest.
  libssh2_session_set_timeout(session, 30000);
  return s;
}

void SshSession::set_blocking(bool blocking) const {
  libssh2_session_set_blocking(m_session.get(), blocking ? 1 : 0);
}

std::string SshSession::last_error() const {
  char* message = nullptr;
  int len = 0;
  libssh2_session_last_error(m_session.get(), &message, &len, 0);
  return message != nullptr && len > 0 ? std::string(message, static_cast<std::size_t>(len)) : "unknown error";
}

int SshSession::run_quietly(const std::string& command, const SshWait& wait) const {
  set_blocking(false);
  // Blocking again on every way out, as over() leaves the session for whoever uses it next.
  struct Blocking {
    const SshSession& session;
    ~Blocking() { session.set_blocking(true); }
  } const restore{*this};
  LIBSSH2_SESSION* session = m_session.get();
  const int sock = m_socket.get();
  const std::string what = "running '" + command + "' over SSH";
  SshChannelHandle channel(drive(session, sock, wait, what, [&] { return libssh2_channel_open_session(session); }));
  if (!channel) {
    throw SshError(SshFailure::broken, "cannot open an SSH channel: " + last_error());
  }
  LIBSSH2_CHANNEL* ch = channel.get();
  libssh2_channel_handle_extended_data2(ch, LIBSSH2_CHANNEL_EXTENDED_DATA_MERGE);
  if (drive(session, sock, wait, what, [&] { return libssh2_channel_exec(ch, command.c_str()); }) != 0) {
    throw SshError(SshFailure::broken, "cannot run a command over SSH: " + last_error());
  }
  std::array<char, 4096> buffer{};
  ssize_t n = 0;
  while ((n = drive(session, sock, wait, what,
                    [&] { return libssh2_channel_read(ch, buffer.data(), buffer.size()); })) > 0) {
  }
  if (n < 0) {
    throw SshError(SshFailure::broken, "SSH connection failed while running a command: " + last_error());
  }
  drive(session, sock, wait, what, [&] { return libssh2_channel_close(ch); });
  drive(session, sock, wait, what, [&] { return libssh2_channel_wait_closed(ch); });
  return libssh2_channel_get_exit_status(ch);
}

} // namespace bcvk
