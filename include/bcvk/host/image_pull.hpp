#pragma once
// `podman pull` as a user watches it: on a terminal, one status line with the layers and bytes
// copied so far, redrawn in place; elsewhere (a pipe, a log, TERM=dumb) one line when the pull
// starts and one when it ends. A termination signal stops podman and ends the pull with
// Interrupted; a failed pull ends with the one line that says what to do (vm/pull_report.hpp).
#include <string>

#include "bcvk/util/signals.hpp"
#include "bcvk/vm/pull_options.hpp"

namespace bcvk {

// Pulls `image` and returns the ID of the image podman stored. `storage_root` only goes into the
// message of a full disk. `signals` may be null (nothing to watch but podman).
std::string pull_image_showing_progress(const std::string& image, const RegistryAccess& access,
                                        const std::string& storage_root, SignalCatcher* signals);

} // namespace bcvk
