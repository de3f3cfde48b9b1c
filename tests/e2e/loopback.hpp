#pragma once
// Loopback TCP helpers for e2e tests: a tiny server the guest can reach, and a banner reader.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace bcvk::e2e {

// A TCP server on the host's loopback; the guest reaches it as 10.0.2.2 with --network user.
class LoopbackServer {
public:
  explicit LoopbackServer(std::string reply = "hello-from-host-loopback\n") : m_reply(std::move(reply)) {
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len);
    m_port = ntohs(addr.sin_port);
    ::listen(m_fd, 4);
    m_thread = std::thread([this] {
      while (!m_stop) {
        pollfd p{m_fd, POLLIN, 0};
        if (::poll(&p, 1, 200) == 1) {
          const int c = ::accept(m_fd, nullptr, nullptr);
          if (c >= 0) {
            [[maybe_unused]] auto n = ::write(c, m_reply.data(), m_reply.size());
            ::close(c);
          }
        }
      }
    });
  }
  ~LoopbackServer() {
    m_stop = true;
    m_thread.join();
    ::close(m_fd);
  }
  int port() const { return m_port; }

private:
  int m_fd = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  std::string m_reply;
  std::thread m_thread;
};

// The first line a TCP server on 127.0.0.1:`port` sends, or "" (connection refused, closed, silent).
inline std::string loopback_banner(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string line;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    char c = 0;
    while (line.size() < 200 && ::read(fd, &c, 1) == 1 && c != '\n') {
      line += c;
    }
  }
  ::close(fd);
  return line;
}

} // namespace bcvk::e2e
