#pragma once
// Appending bcvk's virtiofs add-on (see vm/initrd_addon.hpp) to an instance's copy of the initramfs.
#include <string>
#include <vector>

#include "bcvk/util/rooted_fs.hpp"

namespace bcvk {

// Appends the add-on, with the image's own virtio/virtiofs modules and `early_modules` (see
// GuestMachine) for `kernel_version` read inside the image, to the host file `initrd` (bcvk's
// private copy, never the image's).
void append_virtiofs_addon(const RootedTree& image_root, const std::string& kernel_version, const std::string& initrd,
                           const std::vector<std::string>& early_modules);

} // namespace bcvk
