#pragma once
// What bcvk appends to an image's initramfs so that any dracut initramfs can mount the virtiofs
// root, including one built without dracut's virtiofs module: the kernel unpacks concatenated
// archives in order, so a small uncompressed cpio after the image's own only adds files. Pure.
#include <cstddef>
#include <string>
#include <vector>

namespace bcvk {

struct CpioEntry {
  enum class Kind { directory, file, symlink, char_device };
  Kind kind = Kind::file;
  std::string path; // relative, no leading '/'
  std::string data; // file content or link target
  unsigned mode = 0644;
  unsigned device_major = 0; // a character device's numbers
  unsigned device_minor = 0;
};

// A "newc" cpio archive of `entries`, ending with the trailer; every header 4-byte aligned.
std::string newc_archive(const std::vector<CpioEntry>& entries);

// The modules to load, in load order, for `wanted` (names such as "virtiofs"), from the text of
// the image's modules.dep: each module's dependencies first, as modprobe orders them. Paths are
// as modules.dep gives them (relative to /usr/lib/modules/<kver>); a module modules.dep does
// not list (built in, or missing) is left out. Lines with an unsafe path are ignored. Throws Error
// when more than k_max_addon_modules would be needed.
inline constexpr std::size_t k_max_addon_modules = 32;
std::vector<std::string> modules_to_load(const std::string& modules_dep, const std::vector<std::string>& wanted);

// The kernel modules a virtiofs root needs: the virtio PCI transport and virtiofs itself.
inline const std::vector<std::string> k_virtiofs_modules{"virtio_pci", "virtiofs"};

struct ModuleFile {
  std::string path;  // as in modules.dep
  std::string bytes; // the image's own module file
};

// The files appended: the modules, a script loading them (skipped for what the initramfs already
// loaded) and waiting until the root's virtiofs device is there, the unit that runs it before
// /sysroot is mounted, and a dracut cmdline hook accepting rootfstype=virtiofs.
std::vector<CpioEntry> virtiofs_initrd_addon(const std::vector<ModuleFile>& modules);

} // namespace bcvk
