#include "bcvk/host/mounts.hpp"

#include <fcntl.h>
#include <sys/mount.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "bcvk/util/error.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/util/handle.hpp"

namespace bcvk {

void mount_overlay(const std::string& lower, const std::string& upper, const std::string& work,
                   const std::string& target) {
  for (const auto& p : {lower, upper, work}) {
    if (p.find_first_of(",:") != std::string::npos) {
      throw Error("path " + p + " contains ',' or ':', which overlayfs options cannot express");
    }
  }
  const std::string options = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
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
void attach_read_only(const Fd& tree, const std::string& source, const std::string& target) {
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  attr.propagation = MS_PRIVATE;
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
    throw Error("cannot make a read-only copy of " + source + ": " + std::strerror(errno) +
                (errno == ENOSYS ? " (bcvk needs Linux 5.12 or later)" : ""));
  }
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

void bind_file_read_only(const Fd& source, const std::string& shown, const std::string& target) {
  // The very file already open, not whatever its path names now: the path was resolved once,
  // inside the tree it belongs to.
  Fd tree(::open_tree(source.get(), "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (!tree) {
    throw Error("cannot bind-mount " + shown + ": " + std::strerror(errno));
  }
  attach_read_only(tree, shown, target);
}

void unmount(const std::string& target) {
  // A mount stays busy for a moment while the processes that used it (virtiofsd) exit, longer on
  // a loaded host. It is never detached lazily: that would empty the mount table while the tree is
  // still in use, and the checks before deleting anything below it would pass.
  for (int attempt = 0; attempt < 300; ++attempt) {
    if (::umount2(target.c_str(), 0) == 0 || errno == EINVAL || errno == ENOENT) {
      return;
    }
    if (errno != EBUSY) {
      throw Error("cannot unmount " + target + ": " + std::strerror(errno));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw Error(target +
              " is still in use after 30 s, so it stays mounted and everything below it is kept; "
              "'fuser -vm " +
              target + "' shows who uses it");
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
    std::string id, parent, device, root, mount_point;
    if (fields >> id >> parent >> device >> root >> mount_point) {
      out.push_back({device, unescape_mountinfo(mount_point)});
    }
  }
  return out;
}

std::vector<MountEntry> read_mountinfo(const std::string& path) {
  std::ifstream in(path);
  return parse_mountinfo(in);
}

std::vector<std::string> mounts_below(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& mount : read_mountinfo("/proc/self/mountinfo")) {
    if (is_at_or_below(mount.mount_point, dir)) {
      out.push_back(mount.mount_point);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.size() != b.size() ? a.size() > b.size() : a < b; });
  // Mounts stacked on one mount point (a recursive copy of /dev carries them) are listed once each,
  // so unmounting the list pops every layer.
  return out;
}

} // namespace bcvk
