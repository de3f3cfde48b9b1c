#pragma once
// Host mounts bcvk takes: the copy-on-write overlay that becomes the guest's root.
#include <string>
#include <vector>

namespace bcvk {

// Mounts an overlay of read-only `lower` and writable `upper` (with `work`) at `target`.
void mount_overlay(const std::string& lower, const std::string& upper, const std::string& work,
                   const std::string& target);

// Makes `source` and every mount below it visible read-only, nosuid and nodev at `target`, with
// private propagation, so writes through it fail with EROFS whatever the guest does, and
// unmounting it never unmounts anything of the host.
void bind_mount_read_only(const std::string& source, const std::string& target);

// Unmounts `target`, retrying while a just-stopped virtiofsd still holds it, then detaching lazily.
void unmount(const std::string& target);

// Mount points at or below `dir`, deepest first (from /proc/self/mountinfo); a point with mounts
// stacked on it appears once per mount.
std::vector<std::string> mounts_below(const std::string& dir);

// Decodes the octal escapes (\040 etc.) used in /proc/self/mountinfo (pure).
std::string unescape_mountinfo(const std::string& field);

} // namespace bcvk
