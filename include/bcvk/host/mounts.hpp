#pragma once
// Host mounts bcvk takes: the copy-on-write overlay that becomes the guest's root, read-only views
// and the boot files.
#include <cstdint>
#include <optional>
#include <istream>
#include <string>
#include <vector>

#include "bcvk/util/handle.hpp"

namespace bcvk {

// How the overlay records the guest's changes in its upper layer.
enum class UpperFormat {
  // The kernel's defaults: an instance kept by an older bcvk was mounted so, and stays so.
  kernel_default,
  // Every change a plain file or directory of its own (redirect_dir=off, metacopy=off): no rename
  // of a directory recorded as a pointer into the image, no file recorded as metadata alone. The
  // upper layer is then the diff an image layer carries (`ephemeral commit`).
  diffable,
};

// Mounts an overlay of read-only `lower` and writable `upper` (with `work`) at `target`.
void mount_overlay(const std::string& lower, const std::string& upper, const std::string& work,
                   const std::string& target, UpperFormat format);

// Makes `source` and every mount below it visible read-only, nosuid and nodev at `target`, with
// private propagation, so writes through it fail with EROFS whatever the guest does, and
// unmounting it never unmounts anything of the host.
void bind_mount_read_only(const std::string& source, const std::string& target);

// Mounts `source` alone (without what is mounted below it) read-only, nosuid, nodev and private
// at the existing `name` below the directory open as `dir` (a private mount: nothing propagates).
// False when `source` is gone; its last component is never followed.
bool bind_alone_read_only(const std::string& source, const Fd& dir, const std::string& name);

// Mounts the file open at `source` read-only at the existing file `target` (`shown` names the
// source in errors). Nothing is copied, and the file cannot be changed through `target`: not
// written, not chmod'ed, not chown'ed (EROFS), which libvirt's DAC driver accepts for a kernel
// or initramfs, leaving the file root's.
void bind_file_read_only(const Fd& source, const std::string& shown, const std::string& target);

struct MountEntry {
  std::uint64_t id = 0;        // the mount's ID (as statx(2) STATX_MNT_ID reports it)
  std::uint64_t parent_id = 0; // the mount it is attached to
  std::string device;          // "major:minor" of the mounted file system (the same in every mount namespace)
  std::string root;            // the directory of that file system the mount shows ("/" for all of it)
  std::string mount_point;
  bool read_only = false; // the mount itself is read-only (whatever its file system is)
};

// Where a host path lies in its file system: the file system's device and the path from its root
// (what the deepest mount at or above the path shows). The same directory reached by two names (a
// bind mount, ostree's /var from /sysroot/ostree/deploy/NAME/var) has one position.
struct FsPosition {
  std::string device;
  std::string path;
  bool operator==(const FsPosition&) const = default;
};
// The position of the absolute, resolved `path` by `mounts`; nullopt when no mount holds it (pure).
std::optional<FsPosition> fs_position(const std::vector<MountEntry>& mounts, const std::string& path);

// Whether sharing the directory `dir` with its submounts (as a recursive bind does) shows the
// file system position `target`: dir's own mount shows it at or below dir, or a mount below dir
// shows a part of that file system holding it, or (with `or_part_of`) a part inside it (pure).
bool share_shows(const std::vector<MountEntry>& mounts, const std::string& dir, const FsPosition& target,
                 bool or_part_of = false);

// The entries of a /proc/PID/mountinfo file (pure parse of its text; an unreadable file gives none).
std::vector<MountEntry> parse_mountinfo(std::istream& in);
std::vector<MountEntry> read_mountinfo(const std::string& path);

// Of `mounts`, those at or below `dir` that are not attached inside another of them: the mounts a
// caller made there itself, whose mount points no one else can move, as opposed to the mounts a
// recursive view carries at paths the owners of the viewed directories control. Deepest first
// (pure).
std::vector<MountEntry> outermost_mounts_below(const std::vector<MountEntry>& mounts, const std::string& dir);

// Unmounts the outermost mount at `mount.mount_point` below `dir` (an entry of
// outermost_mounts_below for the current mount table), by identity: its mount point is reached
// from `dir` without following any link, and only the mount found there with `mount`'s ID (or one
// stacked on it, also below `dir`) is released. A read-only mount is detached with every mount its
// tree carries in one step, so neither a path below it that another user changes meanwhile nor a
// file someone holds open there matters. A writable one (the root overlay, the guest's own file
// system) is unmounted for real, never detached lazily: its file system would live on out of sight
// while the guest's data is deleted. It is busy (tried once) while a process
// (a just-stopped virtiofsd) still uses it, or a mount stands on it. Error when it cannot be released (its mount point
// no longer reachable without a link, or another failure).
enum class MountRelease { released, busy };
MountRelease release_mount(const std::string& dir, const MountEntry& mount);

// Releases everything mounted at or below `dir` (a directory only root can change), outermost
// mounts first, each by release_mount, until the mount table shows nothing there; while only busy
// mounts are left it waits, 30 s at most.
void release_mounts_below(const std::string& dir);

// Mount points at or below `dir`, deepest first (from /proc/self/mountinfo); a point with mounts
// stacked on it appears once per mount.
std::vector<std::string> mounts_below(const std::string& dir);

// Decodes the octal escapes (\040 etc.) used in /proc/self/mountinfo (pure).
std::string unescape_mountinfo(const std::string& field);

} // namespace bcvk
