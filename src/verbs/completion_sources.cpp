#include "bcvk/verbs/completion_sources.hpp"

#include <unistd.h>

#include "bcvk/host/image_store.hpp"
#include "bcvk/host/process.hpp"
#include "bcvk/instance/instance_dir.hpp"

namespace bcvk {

CompletionSources host_completion_sources() {
  CompletionSources sources;
  sources.instances = [] {
    std::vector<std::string> names;
    try {
      for (const auto& name : InstanceDir::list_names()) {
        names.push_back(name.str());
      }
    } catch (const std::exception&) {
      // no state directory yet, or one bcvk refuses: nothing to offer
    }
    return names;
  };
  sources.images = [] {
    std::vector<std::string> names;
    if (::geteuid() != 0) {
      return names; // bcvk boots root's images; a user's own podman store is not where they are
    }
    try {
      SystemProcessRunner runner;
      PodmanImageStore store(runner);
      for (const auto& image : store.list_bootc_images()) {
        names.insert(names.end(), image.names.begin(), image.names.end());
      }
    } catch (const std::exception&) {
      // podman missing or failing: nothing to offer
    }
    return names;
  };
  return sources;
}

} // namespace bcvk
