#include "bcvk/ssh/port_forwarding.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "bcvk/ssh/nonblocking.hpp"
#include "bcvk/util/error.hpp"

namespace bcvk {
namespace {

using AddrInfoHandle = Handle<addrinfo, ::freeaddrinfo>;

// A numeric-service TCP lookup; an empty handle when the name does not resolve.
AddrInfoHandle resolve(const std::string& host, unsigned port, int flags) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) {
    return AddrInfoHandle();
  }
  return AddrInfoHandle(found);
}

Fd listen_locally(const ForwardSpec& spec) {
  const std::string bind = spec.bind_address == "*" ? "0.0.0.0" : spec.bind_address;
  const AddrInfoHandle found = resolve(bind, spec.listen_port, AI_PASSIVE);
  if (!found) {
    throw UsageError("-L: cannot resolve bind address '" + spec.bind_address + "'");
  }
  Fd fd(::socket(found.get()->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const bool ok =
      fd && ::bind(fd.get(), found.get()->ai_addr, found.get()->ai_addrlen) == 0 && ::listen(fd.get(), 16) == 0;
  const int err = errno;
  if (!ok) {
    throw Error("-L: cannot listen on " + bind + ":" + std::to_string(spec.listen_port) + ": " + std::strerror(err));
  }
  return fd;
}

// Connects to a host-side target of a -R forward; loopback targets answer at once.
Fd connect_to(const std::string& host, unsigned port) {
  const AddrInfoHandle found = resolve(host, port, 0);
  if (!found) {
    return Fd();
  }
  Fd fd(::socket(found.get()->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const bool ok = fd && ::connect(fd.get(), found.get()->ai_addr, found.get()->ai_addrlen) == 0;
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
  if (!r.socket_eof && r.to_channel.size() < k_forward_buffer_limit) {
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
  while (!r.channel_eof && r.to_socket.size() < k_forward_buffer_limit) {
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

} // namespace

ForwardSet::ForwardSet(const SshSession& session, const std::vector<ForwardSpec>& specs) : m_session(session) {
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

void ForwardSet::add_poll_fds(std::vector<pollfd>& fds) const {
  for (const auto& l : m_local) {
    fds.push_back({l.fd.get(), POLLIN, 0});
  }
  for (const auto& r : m_relays) {
    short events = 0;
    if (!r.socket_eof && r.to_channel.size() < k_forward_buffer_limit) {
      events |= POLLIN;
    }
    if (!r.to_socket.empty()) {
      events |= POLLOUT;
    }
    fds.push_back({r.socket.get(), events, 0});
  }
}

bool ForwardSet::pump() {
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

bool ForwardSet::accept_local(LocalListener& l) {
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

bool ForwardSet::accept_remote(RemoteListener& r) {
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

} // namespace bcvk
