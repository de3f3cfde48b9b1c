#pragma once
// Host mounts bcvk takes: the copy-on-write overlay that becomes the guest's root, read-only views
// and the boot files.
#include <istream>
#include <string>
#include <vector>

#include "bcvk/util/handle.hpp"

namespace bcvk {

// Mounts an overlay of read-only `lower` and writable `upper` (with `work`) at `target`.
void mount_overlay(const std::string& lower, const std::string& upper, const std::string& work,
                   const std::string& target);

// Makes `source` and every mount below it visible read-only, nosuid and nodev at `target`, with
// private propagation, so writes through it fail with EROFS whatever the guest does, and
// unmounting it never unmounts anything of the host.
void bind_mount_read_only(const std::string& source, const std::string& target);

// Mounts the file open at `source` read-only at the existing file `target` (`shown` names the
// source in errors). Nothing is copied, and the file cannot be changed through `target`: not
// written, not chmod'ed, not chown'ed (EROFS), which libvirt's DAC driver accepts for a kernel
// or initramfs, leaving the file root's.
void bind_file_read_only(const Fd& source, const std::string& shown, const std::string& target);

// Unmounts `target`, retrying for 30 s while a just-stopped virtiofsd still holds it; never detaches
// lazily (a busy mount stays, and Error says so).
void unmount(const std::string& target);

struct MountEntry {
  std::string device; // "major:minor" of the mounted file system (the same in every mount namespace)
  std::string mount_point;
};

// The entries of a /proc/PID/mountinfo file (pure parse of its text; an unreadable file gives none).
std::vector<MountEntry> parse_mountinfo(std::istream& in);
std::vector<MountEntry> read_mountinfo(const std::string& path);

// Mount points at or below `dir`, deepest first (from /proc/self/mountinfo); a point with mounts
// stacked on it appears once per mount.
std::vector<std::string> mounts_below(const std::string& dir);

// Decodes the octal escapes (\040 etc.) used in /proc/self/mountinfo (pure).
std::string unescape_mountinfo(const std::string& field);

} // namespace bcvk
