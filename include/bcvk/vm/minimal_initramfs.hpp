#pragma once
// bcvk's minimal initramfs (--initramfs minimal): instead of the image's own initramfs, a small
// archive bcvk makes once per image holding the image's own virtio and virtiofs modules and bcvk's
// static guest init (src/guest_init), which loads them, mounts the virtiofs root and starts the
// image's init. Pure: the files are given, the archive's entries returned.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bcvk/vm/initrd_addon.hpp"

namespace bcvk {

// The first module file name (the path's last part) that is not a module's (".ko" in it) or that
// two of `paths` share: the archive keeps modules by file name. None when all are fine.
std::optional<std::string> clashing_module_file(const std::vector<std::string>& paths);

// The archive's entries: the API mount points, /dev/console (so the kernel gives the init a
// console), the modules under their file names with their load order, and the init.
std::vector<CpioEntry> minimal_initramfs(const std::vector<ModuleFile>& modules, std::string_view init);

// A short, stable fingerprint of the guest init's bytes (FNV-1a, 32 bits, 8 hex digits): boot files
// made with another init are never booted by this bcvk.
std::string init_fingerprint(std::string_view init);

} // namespace bcvk
