#include "bcvk/host/port_probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "bcvk/util/error.hpp"
#include "bcvk/util/handle.hpp"

namespace bcvk {

void require_free_port(const PortForward& forward) {
  const bool udp = forward.protocol == PortProtocol::udp;
  Fd fd(::socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  if (!fd) {
    throw Error(std::string("cannot create a socket to check --port: ") + std::strerror(errno));
  }
  // QEMU sets SO_REUSEADDR on its forwards too: connections still in TIME_WAIT do not block them.
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(forward.host_port));
  if (::inet_pton(AF_INET, forward.host_address.c_str(), &addr.sin_addr) != 1) {
    throw UsageError("--port " + to_string(forward) + ": '" + forward.host_address + "' is not an IPv4 address");
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    return;
  }
  const int err = errno;
  const std::string where =
      forward.host_address + ":" + std::to_string(forward.host_port) + "/" + protocol_name(forward.protocol);
  if (err == EADDRINUSE) {
    throw UsageError("--port " + to_string(forward) + ": " + where +
                     " is already in use on this host: pick another HOST_PORT (ss -ltnup shows who holds it)");
  }
  if (err == EADDRNOTAVAIL) {
    throw UsageError("--port " + to_string(forward) + ": " + forward.host_address +
                     " is not an address of this host: give one of its addresses, or leave it out for 127.0.0.1");
  }
  throw UsageError("--port " + to_string(forward) + ": cannot use " + where + ": " + std::strerror(err));
}

} // namespace bcvk
