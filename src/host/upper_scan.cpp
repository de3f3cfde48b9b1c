#include "bcvk/host/upper_scan.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {
namespace {

// A descriptor is held per level, below the usual limit of 1024: a tree this deep was built to
// exhaust descriptors or the stack, not to be a system.
constexpr int k_max_depth = 512;
// A single xattr value the kernel allows (XATTR_SIZE_MAX).
constexpr std::size_t k_max_xattr_value = 65536;

Error unreadable(const std::string& path, const std::string& what) {
  return Error("cannot read " + what + " of /" + printable(path) + " in the VM's changes: " + std::strerror(errno));
}

// The xattrs of `name` in the directory open as `dir_fd`, the entry itself never followed: through
// the directory's descriptor, so no path is resolved again.
std::vector<std::pair<std::string, std::string>> xattrs_of(int dir_fd, const std::string& name,
                                                           const std::string& path) {
  const std::string at = "/proc/self/fd/" + std::to_string(dir_fd) + "/" + name;
  std::vector<std::pair<std::string, std::string>> out;
  std::string names(1024, '\0');
  ssize_t length = 0;
  while ((length = ::llistxattr(at.c_str(), names.data(), names.size())) < 0 && errno == ERANGE) {
    names.resize(names.size() * 4);
  }
  if (length < 0) {
    if (errno == ENOTSUP) {
      return out;
    }
    throw unreadable(path, "the extended attributes");
  }
  names.resize(static_cast<std::size_t>(length));
  std::vector<char> buffer(k_max_xattr_value);
  for (std::size_t start = 0; start < names.size();) {
    const std::string key = names.c_str() + start;
    start += key.size() + 1;
    const ssize_t size = ::lgetxattr(at.c_str(), key.c_str(), buffer.data(), buffer.size());
    if (size < 0) {
      if (errno == ENODATA) {
        continue;
      }
      throw unreadable(path, "the extended attribute " + key);
    }
    // A string of the value's own size: a node keeps its xattrs for the whole commit.
    out.emplace_back(key, std::string(buffer.data(), static_cast<std::size_t>(size)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

NodeKind kind_of(mode_t mode) {
  if (S_ISDIR(mode)) {
    return NodeKind::directory;
  }
  if (S_ISLNK(mode)) {
    return NodeKind::symlink;
  }
  if (S_ISCHR(mode)) {
    return NodeKind::char_device;
  }
  if (S_ISBLK(mode)) {
    return NodeKind::block_device;
  }
  if (S_ISFIFO(mode)) {
    return NodeKind::fifo;
  }
  if (S_ISSOCK(mode)) {
    return NodeKind::socket;
  }
  return NodeKind::regular;
}

std::optional<UpperNode::LowerDirectory> lower_directory(const RootedTree& image, const std::string& path) {
  try {
    // As overlayfs merges: a directory of the image at that very path, no link on the way.
    const auto fd = image.open_at(path, O_PATH | O_NOFOLLOW | O_CLOEXEC, LinkPolicy::none);
    struct stat st {};
    if (!fd || ::fstat(fd->get(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return std::nullopt;
    }
    return UpperNode::LowerDirectory{static_cast<unsigned>(st.st_mode & 07777), st.st_uid, st.st_gid};
  } catch (const Error&) {
    return std::nullopt; // a link on the way: the image has no directory there
  }
}

class Scanner {
public:
  Scanner(const RootedTree& image, SignalCatcher& signals) : m_image(image), m_signals(signals) {}

  void walk(int dir_fd, const std::string& dir_path, int depth) {
    if (depth > k_max_depth) {
      throw Error("the VM's changes nest deeper than " + std::to_string(k_max_depth) + " directories at /" +
                  printable(dir_path) + ": no image holds that; remove it in the VM, then commit");
    }
    m_signals.checkpoint(); // a Ctrl-C ends a long walk here
    // Built by appending: GCC 12's -Wrestrict misreads "/" + std::string at -O3 (a false positive).
    std::string shown = "/";
    shown += printable(dir_path);
    for (const auto& name : list_dir_fd(dir_fd, shown)) {
      const std::string path = dir_path.empty() ? name : dir_path + "/" + name;
      struct stat st {};
      if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        throw unreadable(path, "the entry");
      }
      UpperNode node;
      node.path = path;
      node.kind = kind_of(st.st_mode);
      node.mode = st.st_mode & 07777;
      node.uid = st.st_uid;
      node.gid = st.st_gid;
      node.mtime_sec = st.st_mtim.tv_sec;
      node.mtime_nsec = st.st_mtim.tv_nsec;
      node.inode = st.st_ino;
      node.nlink = st.st_nlink;
      node.size = static_cast<std::uint64_t>(st.st_size);
      node.rdev_major = major(st.st_rdev);
      node.rdev_minor = minor(st.st_rdev);
      node.xattrs = xattrs_of(dir_fd, name, path);
      if (node.kind == NodeKind::symlink) {
        std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
        const ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
        if (n < 0 || static_cast<std::size_t>(n) >= target.size()) {
          throw unreadable(path, "the link");
        }
        target.resize(static_cast<std::size_t>(n));
        node.link_target = std::move(target);
      }
      if (node.kind != NodeKind::directory) {
        m_nodes.push_back(std::move(node));
        continue;
      }
      node.lower_directory = lower_directory(m_image, path);
      m_nodes.push_back(std::move(node));
      const Fd child(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      struct stat opened {};
      if (!child || ::fstat(child.get(), &opened) != 0) {
        throw unreadable(path, "the directory");
      }
      if (opened.st_ino != st.st_ino || opened.st_dev != st.st_dev) {
        throw Error("/" + printable(path) + " changed while the VM's changes were read: is the VM running?");
      }
      walk(child.get(), path, depth + 1);
    }
  }

  std::vector<UpperNode> take() { return std::move(m_nodes); }

private:
  const RootedTree& m_image;
  SignalCatcher& m_signals;
  std::vector<UpperNode> m_nodes;
};

} // namespace

std::vector<UpperNode> scan_upper(const Fd& upper, const RootedTree& image, SignalCatcher& signals) {
  Scanner scanner(image, signals);
  scanner.walk(upper.get(), "", 0);
  return scanner.take();
}

} // namespace bcvk
