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

SshSession SshSession::connect(const SshTarget& target, const SshTimeouts& timeouts) {
  Fd fd = start_loopback_connect(target.port);
  const auto deadline = std::chrono::steady_clock::now() + timeouts.banner;
  while (true) {
    const BannerState state = peek_banner(fd.get());
    if (state == BannerState::arrived) {
      return over(std::move(fd), target, timeouts.session);
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
    pollfd p{fd.get(), POLLIN, 0};
    ::poll(&p, 1, std::min(remaining_ms(deadline), 50));
  }
}

SshSession SshSession::over(Fd socket, const SshTarget& target, std::chrono::milliseconds timeout) {
  init_libssh2_once();
  SshSession s;
  s.m_socket = std::move(socket);
  ::fcntl(s.m_socket.get(), F_SETFL, ::fcntl(s.m_socket.get(), F_GETFL) & ~O_NONBLOCK);

  s.m_session = SshSessionHandle(libssh2_session_init());
  LIBSSH2_SESSION* session = s.m_session.get();
  if (session == nullptr) {
    throw SshError(SshFailure::broken, "libssh2 could not create a session");
  }
  libssh2_session_set_blocking(session, 1);
  libssh2_session_set_timeout(session, static_cast<long>(timeout.count()));
  // Only the key type bcvk generated: the server must prove it holds exactly that key.
  libssh2_session_method_pref(session, LIBSSH2_METHOD_HOSTKEY, "ssh-ed25519");
  if (libssh2_session_handshake(session, s.m_socket.get()) != 0) {
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
  if (libssh2_userauth_publickey_fromfile_ex(session, "root", 4, target.client_public.c_str(),
                                             target.client_key.c_str(), nullptr) != 0) {
    throw SshError(SshFailure::auth_rejected,
                   "VM " + target.vm_name + " refused bcvk's SSH key for root: " + s.last_error());
  }
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

int SshSession::run_quietly(const std::string& command) const {
  set_blocking(true);
  SshChannelHandle channel(libssh2_channel_open_session(m_session.get()));
  if (!channel) {
    throw SshError(SshFailure::broken, "cannot open an SSH channel: " + last_error());
  }
  libssh2_channel_handle_extended_data2(channel.get(), LIBSSH2_CHANNEL_EXTENDED_DATA_MERGE);
  if (libssh2_channel_exec(channel.get(), command.c_str()) != 0) {
    throw SshError(SshFailure::broken, "cannot run a command over SSH: " + last_error());
  }
  std::array<char, 4096> buffer{};
  ssize_t n = 0;
  while ((n = libssh2_channel_read(channel.get(), buffer.data(), buffer.size())) > 0) {
  }
  if (n < 0) {
    throw SshError(SshFailure::broken, "SSH connection failed while running a command: " + last_error());
  }
  libssh2_channel_close(channel.get());
  libssh2_channel_wait_closed(channel.get());
  return libssh2_channel_get_exit_status(channel.get());
}

} // namespace bcvk
