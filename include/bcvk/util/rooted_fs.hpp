#pragma once
// The trust boundary for files: a tree bcvk does not trust (a container image, an instance's
// overlay) is opened once as a root, and every path below it is resolved by the kernel inside that
// root (openat2), so no symlink, ".." or absolute link in the tree can make bcvk, running as root,
// read or write a file of the host. Also: host-side file operations that never follow a link.
#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bcvk/util/handle.hpp"

namespace bcvk {

// How links inside the tree are treated while resolving a path.
enum class LinkPolicy {
  // As the guest would see them, clamped at the root: "/etc/x" or "../../x" never leave the tree.
  confined,
  // Refused with an error when they would lead out of the tree (absolute or climbing above it);
  // for files whose identity matters, such as the kernel.
  beneath,
  // Refused wherever they are, even inside the tree: for a path bcvk made itself, where a link can
  // only be something another party put there (ELOOP).
  none,
};

struct TreeEntry {
  enum class Kind { file, directory, symlink, other };
  std::string name;
  Kind kind = Kind::other;
};

class RootedTree {
public:
  // Opens `host_path` (a directory bcvk itself chose, e.g. the image mount) as the root of an
  // untrusted tree; `label` names it in messages ("image localhost/x", "the guest root").
  static RootedTree open(const std::string& host_path, std::string label);

  const std::string& host_path() const { return m_host_path; }

  // Opens `path` (relative to the root; a leading '/' is ignored) with `flags` (O_NOFOLLOW in
  // `flags` also refuses a link as the last component). nullopt when it does not exist; throws
  // Error naming the in-tree path for anything else, including a link leading out (beneath).
  std::optional<Fd> open_at(const std::string& path, int flags, LinkPolicy policy) const;

  // The contents of a regular file, or nullopt when missing. Throws for other file types, for
  // links that are not allowed by `policy`, and above `max_bytes`.
  std::optional<std::string> read_file(const std::string& path, LinkPolicy policy, std::size_t max_bytes) const;

  // The entries of a directory, sorted by name; empty when it does not exist or is no directory.
  std::vector<TreeEntry> list(const std::string& path, LinkPolicy policy) const;

  // Kind of the entry `path` resolves to (links followed per `policy`), or nullopt when missing.
  std::optional<TreeEntry::Kind> kind_of(const std::string& path, LinkPolicy policy) const;

  // Creates or atomically replaces a regular file. Parent directories are created inside the root
  // (links among them resolve confined); an existing entry at `path`, a link included, is replaced
  // and never followed.
  void write_file(const std::string& path, const std::string& content, unsigned mode) const;

  // Creates or atomically replaces a symbolic link at `path` pointing at `target` (not resolved).
  void write_symlink(const std::string& path, const std::string& target) const;

  // Removes the entry at `path`: a file, a link itself (never what it points to), or a directory
  // and everything below it (never crossing a mount; what lies deeper than bcvk descends is moved
  // aside into the parent, and where the file system cannot move it, as an overlay cannot move a
  // lower layer's directory, the removal fails with an Error). Missing is fine; parent directories
  // resolve confined.
  void remove_entry(const std::string& path) const;

  // Opens a regular file of the tree for reading; throws Error when it is missing, no regular
  // file, a link `policy` refuses, or larger than `max_bytes`.
  Fd open_regular(const std::string& path, LinkPolicy policy, std::uint64_t max_bytes) const;

  // Copies a regular file of the tree, at most `max_bytes`, to a new host file `host_dest` (created
  // exclusively, never through a link), with `mode`. Nothing is left behind on failure.
  void copy_out(const std::string& path, LinkPolicy policy, const std::string& host_dest, unsigned mode,
                std::uint64_t max_bytes) const;

private:
  RootedTree(Fd fd, std::string host_path, std::string label)
      : m_fd(std::move(fd)), m_host_path(std::move(host_path)), m_label(std::move(label)) {}
  std::optional<Fd> open_or_missing(const std::string& path, int flags, LinkPolicy policy,
                                    bool not_a_directory_is_missing) const;
  // An O_PATH descriptor of directory `path`, created (with its parents) where missing.
  Fd make_dirs(const std::string& path) const;
  std::string shown(const std::string& path) const;

  Fd m_fd;
  std::string m_host_path;
  std::string m_label;
};

// Normalises an in-tree path: strips leading '/', collapses "//" and "."; "" for the root.
std::string tree_relative(const std::string& path);

// Writes `data` into a new file named `name` in directory `dir_fd` and renames it over `name`
// atomically: the temporary is created with O_EXCL|O_NOFOLLOW, so no link is ever followed or
// truncated. `shown` names the file in errors.
void replace_file_at(int dir_fd, const std::string& name, const std::string& data, unsigned mode,
                     const std::string& shown);

// Deletes `path` and everything below it without ever following a link (the tree may hold what a
// guest wrote). Missing is fine. Throws Error naming the first entry that cannot be removed.
void remove_tree_nofollow(const std::string& path);

// Why a host path could be swapped for a link by a user other than root, or "" when it cannot:
// every directory on the way to `absolute_path` (itself excluded) must belong to root (or to us),
// be writable by no one else, unless it is a root-owned sticky directory such as /tmp, where
// others cannot rename root's entries, and not be on a FUSE file system another user mounted (its
// daemon answers every lookup). `absolute_path` must be canonical (no links).
std::string path_swap_risk(const std::string& absolute_path);

// Whether users other than root may write the file or directory `path` (whose lstat is `st`): its
// mode grants others write, or a group other than root's, or an access ACL names more users or
// groups (its mask shows as the group bits, with the owning group still root's).
// Group root counts as root only where no one but root is in it (as a member or by primary group).
bool others_may_write(const std::string& path, const struct stat& st);

// Who mounted the mount `mount_id` of a /proc/self/mountinfo text, when it is a FUSE file system:
// its user_id= option, or UINT_MAX without one; nullopt for other file systems or IDs (pure).
std::optional<unsigned> fuse_mount_owner(std::string_view mountinfo, std::uint64_t mount_id);

// Opens `path` below the directory open at `dir_fd`, resolved by the kernel as `policy` says
// (openat2; close-on-exec added). An empty Fd with errno set on failure.
Fd open_below(int dir_fd, const std::string& path, int flags, LinkPolicy policy);

// The names in the directory open at `dir_fd` (not "." or ".."), sorted; the descriptor stays open.
std::vector<std::string> list_dir_fd(int dir_fd, const std::string& shown);

// Reads a regular file open at `fd` to its end; throws Error above `max_bytes`.
std::string read_all(int fd, std::size_t max_bytes, const std::string& shown);

// Writes all of `data` to `fd`, retrying short writes; throws Error naming `shown`.
void write_all(int fd, std::string_view data, const std::string& shown);

// Copies everything from `from_fd` to `to_fd` (both regular files); throws past `max_bytes`.
void copy_fd_contents(int from_fd, int to_fd, const std::string& shown, std::uint64_t max_bytes = UINT64_MAX);

} // namespace bcvk
