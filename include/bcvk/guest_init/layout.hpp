#pragma once
// Where things are in bcvk's minimal initramfs: written by bcvk on the host
// (vm/minimal_initramfs), read by the guest init (src/guest_init).

namespace bcvk::guest_init {

inline constexpr const char* k_init_path = "init";
inline constexpr const char* k_modules_dir = "bcvk-init/modules";
// The module files to load, one name per line (in k_modules_dir), dependencies first.
inline constexpr const char* k_load_order = "bcvk-init/load-order";
inline constexpr const char* k_new_root = "sysroot";
// How long the root's virtiofs device may take to appear after its modules were loaded.
inline constexpr double k_root_wait_seconds = 30;
// How long a mount may still fail once virtiofs has its devices (the root's may bind after another's).
inline constexpr double k_root_settle_seconds = 2;

} // namespace bcvk::guest_init
