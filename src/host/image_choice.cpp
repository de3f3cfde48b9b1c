#include "bcvk/host/image_choice.hpp"

#include <optional>

#include <spdlog/spdlog.h>

#include "bcvk/util/error.hpp"

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
      spdlog::warn("{}; booting the local image {}", e.what(), local->id.substr(0, 12));
      return *local;
    }
  }
  case PullPolicy::missing:
    break;
  }
  if (auto local = local_image(reference, store)) {
    return *local;
  }
  return pulled(reference, access, store, signals);
}

} // namespace bcvk
