#include "bcvk/host/mounts.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "bcvk/util/error.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/util/handle.hpp"
#include "bcvk/util/rooted_fs.hpp"

namespace bcvk {

void mount_overlay(const std::string& lower, const std::string& upper, const std::string& work,
                   const std::string& target, UpperFormat format) {
  for (const auto& p : {lower, upper, work}) {
    if (p.find_first_of(",:") != std::string::npos) {
      throw Error("path " + p + " contains ',' or ':', which overlayfs options cannot express");
    }
  }
  std::string options = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
  if (format == UpperFormat::diffable) {
    // A directory the guest renames is then copied up whole (rename(2) gives EXDEV and tools copy),
    // and a chmod copies the data too: a little more work for the guest, a layer anyone can apply.
    options += ",redirect_dir=off,metacopy=off";
  }
  // nosuid,nodev: the tree is the image plus whatever the guest wrote. A set-uid file or a device
  // node in it must not work on the host, neither through this path nor for virtiofsd (which runs
  // as root and would otherwise open a device node the guest created).
  if (::mount("overlay", target.c_str(), "overlay", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
    throw Error("cannot mount the copy-on-write root at " + target + ": " + std::strerror(errno) +
                (errno == EPERM ? " (bcvk must run as root)" : ""));
  }
}

namespace {

// Makes the detached mount tree `tree` read-only, nosuid, nodev and private, then attaches it at
// `target`. Done before it appears anywhere: a plain MS_REMOUNT would only cover the top mount,
// and shared propagation would let unmounting the copy's submounts unmount the host's originals
// (e.g. /dev/pts under a view of /dev).
void make_read_only(const Fd& tree, const std::string& source) {
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  attr.propagation = MS_PRIVATE;
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
    throw Error("cannot make a read-only copy of " + source + ": " + std::strerror(errno) +
                (errno == ENOSYS ? " (bcvk needs Linux 5.12 or later)" : ""));
  }
}

void attach_read_only(const Fd& tree, const std::string& source, const std::string& target) {
  make_read_only(tree, source);
  if (::move_mount(tree.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    throw Error("cannot mount the read-only copy of " + source + " at " + target + ": " + std::strerror(errno));
  }
  // Attached below a shared mount it may have become shared again: keep the whole copy private.
  if (::mount(nullptr, target.c_str(), nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    const int err = errno;
    ::umount2(target.c_str(), MNT_DETACH);
    throw Error("cannot make " + target + " private: " + std::strerror(err));
  }
}

} // namespace

void bind_mount_read_only(const std::string& source, const std::string& target) {
  // A detached copy of the whole tree below `source`, submounts included.
  Fd tree(::open_tree(AT_FDCWD, source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
  if (!tree) {
    throw Error("cannot bind-mount " + source + ": " + std::strerror(errno));
  }
  attach_read_only(tree, source, target);
}

bool bind_alone_read_only(const std::string& source, const Fd& dir, const std::string& name) {
  Fd tree(::open_tree(AT_FDCWD, source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW));
  if (!tree) {
    if (errno == ENOENT) {
      return false;
    }
    throw Error("cannot bind-mount " + source + ": " + std::strerror(errno));
  }
  make_read_only(tree, source);
  if (::move_mount(tree.get(), "", dir.get(), name.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    throw Error("cannot mount the read-only copy of " + source + ": " + std::strerror(errno));
  }
  return true;
}

void bind_file_read_only(const Fd& source, const std::string& shown, const std::string& target) {
  // The very file already open, not whatever its path names now: the path was resolved once,
  // inside the tree it belongs to.
  Fd tree(::open_tree(source.get(), "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (!tree) {
    throw Error("cannot bind-mount " + shown + ": " + std::strerror(errno));
  }
  attach_read_only(tree, shown, target);
}

std::string unescape_mountinfo(const std::string& field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && std::isdigit(static_cast<unsigned char>(field[i + 1])) != 0) {
      out += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

std::vector<MountEntry> parse_mountinfo(std::istream& in) {
  std::vector<MountEntry> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    MountEntry entry;
    std::string root, mount_point, options;
    if (fields >> entry.id >> entry.parent_id >> entry.device >> root >> mount_point >> options) {
      entry.root = unescape_mountinfo(root);
      entry.mount_point = unescape_mountinfo(mount_point);
      entry.read_only = options == "ro" || options.starts_with("ro,");
      out.push_back(std::move(entry));
    }
  }
  return out;
}

namespace {

// `path` (at or below `mount`'s mount point) as a path of `mount`'s file system.
std::string in_file_system(const MountEntry& mount, const std::string& path) {
  const std::string rest = mount.mount_point == "/" ? path : path.substr(mount.mount_point.size());
  if (mount.root == "/") {
    return rest.empty() ? "/" : rest;
  }
  return rest == "/" ? mount.root : mount.root + rest;
}

} // namespace

std::optional<FsPosition> fs_position(const std::vector<MountEntry>& mounts, const std::string& path) {
  const MountEntry* holder = nullptr;
  for (const auto& mount : mounts) {
    // The deepest mount point; of mounts stacked on one point, the last listed (the top one).
    if (is_at_or_below(path, mount.mount_point) &&
        (holder == nullptr || mount.mount_point.size() >= holder->mount_point.size())) {
      holder = &mount;
    }
  }
  if (holder == nullptr) {
    return std::nullopt;
  }
  return FsPosition{holder->device, in_file_system(*holder, path)};
}

bool share_shows(const std::vector<MountEntry>& mounts, const std::string& dir, const FsPosition& target,
                 bool or_part_of) {
  if (const auto own = fs_position(mounts, dir);
      own && own->device == target.device && is_at_or_below(target.path, own->path)) {
    return true;
  }
  return std::any_of(mounts.begin(), mounts.end(), [&](const MountEntry& mount) {
    return mount.mount_point != dir && is_at_or_below(mount.mount_point, dir) && mount.device == target.device &&
           (is_at_or_below(target.path, mount.root) || (or_part_of && is_at_or_below(mount.root, target.path)));
  });
}

std::vector<MountEntry> read_mountinfo(const std::string& path) {
  std::ifstream in(path);
  return parse_mountinfo(in);
}

namespace {

// Deeper mount points first (a mount below another is released before it), then by name.
bool deepest_first(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() > b.size() : a < b;
}

} // namespace

std::vector<std::string> mounts_below(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& mount : read_mountinfo("/proc/self/mountinfo")) {
    if (is_at_or_below(mount.mount_point, dir)) {
      out.push_back(mount.mount_point);
    }
  }
  std::sort(out.begin(), out.end(), deepest_first);
  // Mounts stacked on one mount point (a recursive copy of /dev carries them) are listed once each,
  // so unmounting the list pops every layer.
  return out;
}

std::vector<MountEntry> outermost_mounts_below(const std::vector<MountEntry>& mounts, const std::string& dir) {
  std::set<std::uint64_t> below;
  for (const auto& mount : mounts) {
    if (is_at_or_below(mount.mount_point, dir)) {
      below.insert(mount.id);
    }
  }
  std::vector<MountEntry> out;
  for (const auto& mount : mounts) {
    if (below.count(mount.id) != 0 && below.count(mount.parent_id) == 0) {
      out.push_back(mount);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const MountEntry& a, const MountEntry& b) { return deepest_first(a.mount_point, b.mount_point); });
  return out;
}

namespace {

constexpr int k_busy_attempts = 300; // 30 s at 100 ms
constexpr int k_max_release_passes = 16;

std::uint64_t mount_id_of(const Fd& fd, const std::string& shown) {
  struct statx stx {};
  if (::statx(fd.get(), "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) != 0 ||
      (stx.stx_mask & STATX_MNT_ID) == 0) {
    throw Error("cannot tell which mount is at " + shown + ": " + std::strerror(errno) +
                " (bcvk needs Linux 5.8 or later)");
  }
  return stx.stx_mnt_id;
}

// The mount now at `mount`'s mount point, reached from `dir` without a link: `mount` itself or a
// mount stacked on it, whichever is on top (nullopt: neither, the mount point leads elsewhere).
std::optional<MountEntry> mount_now_at(const RootedTree& dir, const MountEntry& mount, const Fd& at) {
  const std::uint64_t id = mount_id_of(at, mount.mount_point);
  for (const auto& entry : read_mountinfo("/proc/self/mountinfo")) {
    if (entry.id == id && is_at_or_below(entry.mount_point, dir.host_path())) {
      return entry;
    }
  }
  return std::nullopt;
}

Fd open_mount_point(const RootedTree& dir, const MountEntry& mount) {
  const std::string relative = mount.mount_point.substr(std::min(mount.mount_point.size(), dir.host_path().size()));
  try {
    if (auto at = dir.open_at(relative, O_PATH | O_NOFOLLOW, LinkPolicy::none)) {
      return std::move(*at);
    }
  } catch (const Error& e) {
    throw Error(mount.mount_point + " cannot be reached without following a link (" + e.what() +
                "), so it stays mounted and everything below it is kept");
  }
  throw Error(mount.mount_point + " is no longer where the mount table says, so it stays mounted and everything "
                                  "below it is kept");
}

MountRelease unmount_writable(const RootedTree& dir, const MountEntry& mount) {
  // The path is used only right after the mount found at it proved to be this one, and only root
  // can change the directories on the way; the last component is never followed.
  {
    const Fd at = open_mount_point(dir, mount);
    const auto now = mount_now_at(dir, mount, at);
    if (!now || now->id != mount.id) {
      return MountRelease::released; // gone or covered meanwhile: the caller looks at the table again
    }
  } // the descriptor would keep the mount busy
  if (::umount2(mount.mount_point.c_str(), UMOUNT_NOFOLLOW) == 0 || errno == EINVAL || errno == ENOENT) {
    return MountRelease::released;
  }
  if (errno != EBUSY) {
    throw Error("cannot unmount " + mount.mount_point + ": " + std::strerror(errno));
  }
  return MountRelease::busy;
}

} // namespace

MountRelease release_mount(const std::string& dir, const MountEntry& mount) {
  const RootedTree tree = RootedTree::open(dir, dir);
  Fd at = open_mount_point(tree, mount);
  const auto now = mount_now_at(tree, mount, at);
  if (!now) {
    throw Error(mount.mount_point + " now leads to a mount that is not below " + dir +
                ", so nothing is unmounted there and everything below it is kept");
  }
  if (!now->read_only) {
    at.reset(); // a descriptor in the mount keeps it busy
    return unmount_writable(tree, *now);
  }
  // The very mount the descriptor holds, with its whole tree: no path below it is looked at again.
  const std::string held = "/proc/self/fd/" + std::to_string(at.get());
  if (::umount2(held.c_str(), MNT_DETACH) != 0) {
    throw Error("cannot unmount " + now->mount_point + ": " + std::strerror(errno));
  }
  return MountRelease::released;
}

void release_mounts_below(const std::string& dir) {
  // A writable mount stays busy for a moment while the processes that used it (virtiofsd) exit,
  // longer on a loaded host, and one mount may have to wait for another (the order in which the
  // kernel lets go of the root overlay and the guest's file system under it): every pass tries each
  // outermost mount once, and only a pass that released nothing waits before the next.
  int busy_waits = 0;
  for (int pass = 0;; ++pass) {
    const auto outermost = outermost_mounts_below(read_mountinfo("/proc/self/mountinfo"), dir);
    if (outermost.empty()) {
      return;
    }
    if (pass == k_max_release_passes + k_busy_attempts) {
      throw Error(outermost.front().mount_point + " is still mounted after releasing everything below " + dir +
                  ", so it is kept");
    }
    std::optional<std::string> busy;
    bool released_any = false;
    for (const auto& mount : outermost) {
      spdlog::debug("unmounting {}", mount.mount_point);
      if (release_mount(dir, mount) == MountRelease::released) {
        released_any = true;
      } else if (!busy) {
        busy = mount.mount_point;
      }
    }
    if (released_any) {
      continue;
    }
    if (++busy_waits == k_busy_attempts) {
      throw Error(*busy + " is still in use after 30 s, so it stays mounted and everything below it is kept; " +
                  "'fuser -vm " + *busy + "' shows who uses it");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

} // namespace bcvk
