#include "bcvk/instance/ports.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "bcvk/util/error.hpp"
#include "bcvk/instance/instance_dir.hpp"
#include "bcvk/host/state_dir.hpp"

namespace bcvk {

unsigned pick_loopback_port() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw Error(std::string("cannot find a free port on 127.0.0.1: ") + std::strerror(errno));
  }
  return ntohs(addr.sin_port);
}

unsigned choose_port(const std::set<unsigned>& claimed, const std::function<unsigned()>& next_candidate, int attempts) {
  for (int i = 0; i < attempts; ++i) {
    const unsigned port = next_candidate();
    if (claimed.count(port) == 0) {
      return port;
    }
  }
  throw Error("cannot find a loopback port that no other VM claims after " + std::to_string(attempts) + " tries");
}

PortRegistryLock::PortRegistryLock() : m_lock(ensure_state_root() + "/ports.lock") {}

std::map<unsigned, std::string> claimed_ports() {
  std::map<unsigned, std::string> ports;
  for (const auto& name : InstanceDir::list_names()) {
    const auto dir = InstanceDir::open(name);
    try {
      if (!dir) {
        continue;
      }
      const InstanceState state = dir->load();
      if (state.ssh_port != 0) {
        ports.emplace(state.ssh_port, name.str());
      }
      for (const auto& forward : state.ports) {
        ports.emplace(forward.host_port, name.str());
      }
    } catch (const Error&) {
      // Still being created, before its first state write: it claims no port yet.
    }
  }
  return ports;
}

} // namespace bcvk
