#pragma once
// What shell completion offers beyond the command line itself: this host's VMs and bootc images.
#include <functional>
#include <string>
#include <vector>

namespace bcvk {

// Where the completion candidates that are not part of the command line itself come from.
struct CompletionSources {
  std::function<std::vector<std::string>()> instances; // names of bcvk's VMs
  std::function<std::vector<std::string>()> images;    // local bootc images
};

// Instance names from the state directory (no libvirt, no recovery: completion must be quick and
// change nothing) and the names of local bootc images from podman. Errors give no candidates.
CompletionSources host_completion_sources();

} // namespace bcvk
