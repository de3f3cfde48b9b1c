#pragma once
// Loopback ports for the guests' SSH forwards, chosen so that concurrent bcvk runs never collide.
#include <functional>
#include <map>
#include <set>
#include <string>

#include "bcvk/util/files.hpp"

namespace bcvk {

// A currently free TCP port on 127.0.0.1, chosen by the kernel.
unsigned pick_loopback_port();

// The first candidate that no instance claims, trying at most `attempts` candidates. Pure.
unsigned choose_port(const std::set<unsigned>& claimed, const std::function<unsigned()>& next_candidate, int attempts);

// Serialises port choices between bcvk processes: hold it from choosing a port until the instance's
// state (which claims the port) is saved. Others then see the claim in claimed_ports().
class PortRegistryLock {
public:
  PortRegistryLock();

private:
  ExclusiveFileLock m_lock;
};

// The host ports recorded by every existing instance (running or kept): its SSH forward and its
// --port forwards, each mapped to the instance's name.
std::map<unsigned, std::string> claimed_ports();

} // namespace bcvk
