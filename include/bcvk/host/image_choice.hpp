#pragma once
// Which image a run boots: the pull policy applied to local storage and the registry. The image is
// named by ID from here on, so a tag that moves while the VM is prepared (or later, for a kept VM)
// never changes what it boots.
#include <string>

#include "bcvk/host/image_store.hpp"
#include "bcvk/util/signals.hpp"
#include "bcvk/vm/pull_options.hpp"

namespace bcvk {

// The image `reference` names after `policy`: what local storage holds (missing, never), what was
// just pulled (always, newer; and missing when it was absent). `newer` falls back to a local image,
// with a warning, when the registry cannot be asked. Throws UsageError for --pull=never of an
// absent image, the pull's one-line failure, or Interrupted.
ImageInfo choose_image(const std::string& reference, PullPolicy policy, const RegistryAccess& access, ImageStore& store,
                       SignalCatcher* signals);

} // namespace bcvk
