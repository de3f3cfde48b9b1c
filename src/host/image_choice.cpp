#include "bcvk/host/image_choice.hpp"

#include <optional>

#include <spdlog/spdlog.h>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/architecture.hpp"

namespace bcvk {
namespace {

// The image is usually there: then one podman call does. Only when that fails is it looked for,
// so that a failure of podman itself is reported as such, not as an absent image.
std::optional<ImageInfo> local_image(const std::string& reference, ImageStore& store) {
  try {
    return store.inspect(reference);
  } catch (const Error&) {
    if (store.exists(reference)) {
      throw;
    }
  }
  return std::nullopt;
}

// With --arch, a local image of another architecture is not the image asked for: as podman does, a
// policy that may pull fetches the asked variant (a policy that may not leaves the refusal to the
// caller's architecture check).
bool is_other_architecture(const ImageInfo& local, const RegistryAccess& access) {
  return !access.arch.empty() && !local.architecture.empty() &&
         canonical_architecture(local.architecture) != access.arch;
}

ImageInfo pulled(const std::string& reference, const RegistryAccess& access, ImageStore& store,
                 SignalCatcher* signals) {
  return store.inspect(store.pull(reference, access, signals));
}

} // namespace

ImageInfo choose_image(const std::string& reference, PullPolicy policy, const RegistryAccess& access, ImageStore& store,
                       SignalCatcher* signals) {
  switch (policy) {
  case PullPolicy::always:
    return pulled(reference, access, store, signals);
  case PullPolicy::never:
    if (auto local = local_image(reference, store)) {
      return *local;
    }
    throw UsageError("IMAGE: " + reference +
                     " is not in local storage and --pull=never forbids pulling it: pull it first ('bcvk images "
                     "pull " +
                     reference + "') or drop --pull=never");
  case PullPolicy::newer: {
    auto local = local_image(reference, store);
    if (!local) {
      return pulled(reference, access, store, signals);
    }
    try {
      return pulled(reference, access, store, signals);
    } catch (const Interrupted&) {
      throw;
    } catch (const Error& e) {
      if (is_other_architecture(*local, access)) {
        throw; // the local image is not the one asked for: nothing to fall back to
      }
      spdlog::warn("{}; booting the local image {}", e.what(), local->id.substr(0, 12));
      return *local;
    }
  }
  case PullPolicy::missing:
    break;
  }
  if (auto local = local_image(reference, store); local && !is_other_architecture(*local, access)) {
    return *local;
  }
  return pulled(reference, access, store, signals);
}

} // namespace bcvk
