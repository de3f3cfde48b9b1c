#pragma once
// What bcvk needs to know about a bootc image's file system: its kernel and its systemd.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bcvk/util/rooted_fs.hpp"

namespace bcvk {

// The kernel to boot: either a vmlinuz + initramfs pair or a unified kernel image (UKI).
// Paths are inside the image ("/usr/lib/modules/<kver>/vmlinuz"), to be opened through its tree.
struct BootArtifacts {
  std::string kernel_version;
  std::string kernel; // vmlinuz (empty for a UKI)
  std::string initrd; // initramfs.img (empty for a UKI)
  std::string uki;    // the UKI (empty for a pair)
};

// Finds exactly one kernel in the image: /usr/lib/modules/<kver>/{vmlinuz,initramfs.img} first,
// else a UKI in /usr/lib/modules/<kver>/*.efi or /boot/EFI/Linux/*.efi. Throws Error naming what
// was found when there is none or more than one, and when a candidate is reached through a link
// that leads out of the image.
BootArtifacts find_boot_artifacts(const RootedTree& image_root, const std::string& image);

// The guest's systemd version from libsystemd-shared-NNN.so, or nullopt when not found.
std::optional<int> guest_systemd_version(const RootedTree& image_root);

struct PeSection {
  std::string name;
  std::size_t offset = 0; // in the file
  std::size_t size = 0;
};

// Section table of a PE/COFF file from its first bytes (`head`, holding at least the headers) and
// its size (every section must lie within it); throws Error when it is not one.
std::vector<PeSection> parse_pe_sections(std::string_view head, std::uint64_t file_size);
inline std::vector<PeSection> parse_pe_sections(std::string_view bytes) {
  return parse_pe_sections(bytes, bytes.size());
}

// Writes the .linux and .initrd sections of the UKI at `uki` (inside the image) to two new host
// files (created exclusively, mode 0644).
void extract_uki(const RootedTree& image_root, const std::string& uki, const std::string& kernel_out,
                 const std::string& initrd_out);

} // namespace bcvk
