#pragma once
// The initramfs files bcvk writes for an image: its own initramfs with bcvk's virtiofs add-on
// appended (see vm/initrd_addon.hpp), or bcvk's minimal initramfs (see vm/minimal_initramfs.hpp).
// Both carry the image's own virtio/virtiofs modules.
#include <string>
#include <string_view>
#include <vector>

#include "bcvk/util/rooted_fs.hpp"

namespace bcvk {

// Appends the add-on, with the image's own virtio/virtiofs modules and `early_modules` (see
// GuestMachine) for `kernel_version` read inside the image, to the host file `initrd` (bcvk's
// private copy, never the image's).
void append_virtiofs_addon(const RootedTree& image_root, const std::string& kernel_version, const std::string& initrd,
                           const std::vector<std::string>& early_modules);

// Why the image cannot boot through bcvk's minimal initramfs, or "" when it can: every module a
// virtiofs root (and `early_modules`) needs is built into its kernel or is a file modules.dep
// lists that the image has, and a compressed one only when the kernel's config says it
// decompresses modules itself (CONFIG_MODULE_DECOMPRESS).
std::string minimal_initramfs_obstacle(const RootedTree& image_root, const std::string& kernel_version,
                                       const std::vector<std::string>& early_modules);

// Writes bcvk's minimal initramfs to the new host file `initrd`: the same modules, and `init`
// (the guest init for the image's architecture).
void write_minimal_initramfs(const RootedTree& image_root, const std::string& kernel_version, const std::string& initrd,
                             const std::vector<std::string>& early_modules, std::string_view init);

} // namespace bcvk
