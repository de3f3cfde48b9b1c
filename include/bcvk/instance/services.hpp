#pragma once
// What the verbs work with: libvirt, podman, and a state directory that dead owners left tidy.
#include <set>
#include <string>

#include "bcvk/host/hypervisor.hpp"
#include "bcvk/host/image_store.hpp"
#include "bcvk/host/process.hpp"

namespace bcvk {

// Whether opening the services first recovers from crashes (see recovery.hpp). Every verb does,
// so any bcvk command cleans up after a dead owner; only the supervisor does not: it is an owner
// itself, and recovery would spawn supervisors.
enum class Recover { yes, no };

struct Services {
  Connection conn;
  SystemProcessRunner runner;
  PodmanImageStore store{runner};
  // The instances this command's crash recovery removed (e.g. one whose removal was cut short).
  std::set<std::string> recovered_removals;

  // Opens the libvirt connection (`uri`, or libvirt's default when empty).
  Services(const std::string& uri, Recover recover);
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;
};

} // namespace bcvk
