#include "bcvk/util/rooted_fs.hpp"

#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <sys/statfs.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <random>

#include "bcvk/util/error.hpp"

namespace bcvk {
namespace {

// glibc 2.36 has no wrapper; the system call exists since Linux 5.6.
int openat2_call(int dir_fd, const char* path, std::uint64_t flags, std::uint64_t resolve) {
  open_how how{};
  how.flags = flags;
  how.mode = 0;
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, dir_fd, path, &how, sizeof how));
}

std::uint64_t resolve_flags(LinkPolicy policy) {
  // Magic links (/proc/self/fd/N and friends) could lead anywhere; no bootc tree needs them.
  switch (policy) {
  case LinkPolicy::confined:
    return RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  case LinkPolicy::beneath:
    return RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  case LinkPolicy::none:
    break;
  }
  return RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
}

std::pair<std::string, std::string> split_last(const std::string& rel) {
  const auto slash = rel.rfind('/');
  if (slash == std::string::npos) {
    return {"", rel};
  }
  return {rel.substr(0, slash), rel.substr(slash + 1)};
}

TreeEntry::Kind kind_from_mode(mode_t mode) {
  if (S_ISREG(mode)) {
    return TreeEntry::Kind::file;
  }
  if (S_ISDIR(mode)) {
    return TreeEntry::Kind::directory;
  }
  if (S_ISLNK(mode)) {
    return TreeEntry::Kind::symlink;
  }
  return TreeEntry::Kind::other;
}

std::string temp_name(const std::string& name) {
  static std::mt19937_64 rng{std::random_device{}()};
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return ".bcvk-" + name.substr(0, 100) + "." + buf;
}

// Makes a fresh temporary entry in `dir_fd` with `create`, then renames it over `name`.
template <typename Create>
void replace_entry_at(int dir_fd, const std::string& name, const std::string& shown, Create create) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    const std::string tmp = temp_name(name);
    if (!create(tmp)) {
      if (errno == EEXIST) {
        continue; // someone else's entry of that name: never touched, try another
      }
      throw Error("cannot write " + shown + ": " + std::strerror(errno));
    }
    if (::renameat(dir_fd, tmp.c_str(), dir_fd, name.c_str()) != 0) {
      const int err = errno;
      ::unlinkat(dir_fd, tmp.c_str(), 0);
      throw Error("cannot replace " + shown + ": " + std::strerror(err));
    }
    return;
  }
  throw Error("cannot write " + shown + ": no free temporary name");
}

// Deeper directories are moved up to the top of the tree being removed and emptied in a later
// pass, so a guest that nests directories a million deep costs neither stack nor descriptors.
constexpr int k_max_removal_depth = 32;

void empty_directory(int dir_fd, const std::string& shown, dev_t dev, int depth, int top_fd);

void remove_entry_at(int dir_fd, const std::string& name, const std::string& shown, dev_t parent_dev, int depth,
                     int top_fd) {
  if (::unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT) {
    return;
  }
  if (errno != EISDIR) {
    const int err = errno;
    throw Error("cannot delete " + shown + ": " + std::strerror(err));
  }
  if (depth >= k_max_removal_depth && top_fd >= 0) {
    const std::string moved = temp_name("deep");
    if (::renameat2(dir_fd, name.c_str(), top_fd, moved.c_str(), RENAME_NOREPLACE) != 0) {
      const int err = errno;
      throw Error("cannot delete " + shown + ": " + std::strerror(err));
    }
    return;
  }
  Fd sub(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub) {
    if (errno == ENOENT) {
      return;
    }
    const int err = errno;
    throw Error("cannot open " + shown + ": " + std::strerror(err));
  }
  // Never descend into something mounted here (an overlay, a bind view of a host directory).
  struct statx sx {};
  if (::statx(sub.get(), "", AT_EMPTY_PATH, STATX_TYPE, &sx) == 0 &&
      (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 && (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0) {
    throw Error("refusing to delete " + shown + ": it is still mounted");
  }
  struct stat st {};
  if (::fstat(sub.get(), &st) != 0 || st.st_dev != parent_dev) {
    throw Error("refusing to delete " + shown + ": it is on another file system");
  }
  empty_directory(sub.get(), shown, parent_dev, depth + 1, top_fd < 0 ? sub.get() : top_fd);
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    const int err = errno;
    throw Error("cannot delete " + shown + ": " + std::strerror(err));
  }
}

void empty_directory(int dir_fd, const std::string& shown, dev_t dev, int depth, int top_fd) {
  // At the top, directories moved up from below appear as new entries: repeat until none is left.
  for (int pass = 0;; ++pass) {
    const auto children = list_dir_fd(dir_fd, shown);
    if (children.empty() || (pass > 0 && dir_fd != top_fd)) {
      return;
    }
    for (const auto& child : children) {
      // Deep paths are shown shortened: the name only matters for an error message.
      const std::string child_shown =
          depth < 4 ? shown + "/" + child : (shown.ends_with("/...") ? shown : shown + "/...");
      remove_entry_at(dir_fd, child, child_shown, dev, depth, top_fd);
    }
  }
}

} // namespace

std::string tree_relative(const std::string& path) {
  std::string out;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const auto slash = path.find('/', pos);
    const std::string part = path.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    pos = slash == std::string::npos ? path.size() + 1 : slash + 1;
    if (part.empty() || part == ".") {
      continue;
    }
    out += (out.empty() ? "" : "/") + part;
  }
  return out;
}

RootedTree RootedTree::open(const std::string& host_path, std::string label) {
  Fd fd(::open(host_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    throw Error("cannot open " + label + " at " + host_path + ": " + std::strerror(errno));
  }
  return RootedTree(std::move(fd), host_path, std::move(label));
}

std::string RootedTree::shown(const std::string& path) const {
  // Appended piece by piece: GCC 12's -Wrestrict reports a false overlap for "/" + std::string
  // in optimised builds (GCC bug 105329).
  std::string shown = "/";
  shown.append(tree_relative(path)).append(" in ").append(m_label);
  return shown;
}

std::optional<Fd> RootedTree::open_at(const std::string& path, int flags, LinkPolicy policy) const {
  return open_or_missing(path, flags, policy, false);
}

std::optional<Fd> RootedTree::open_or_missing(const std::string& path, int flags, LinkPolicy policy,
                                              bool not_a_directory_is_missing) const {
  const std::string rel = tree_relative(path);
  int fd = -1;
  // openat2 asks for a retry when a rename elsewhere raced with the lookup.
  for (int attempt = 0; attempt < 16; ++attempt) {
    fd = openat2_call(m_fd.get(), rel.empty() ? "." : rel.c_str(), static_cast<std::uint64_t>(flags | O_CLOEXEC),
                      resolve_flags(policy));
    if (fd >= 0 || errno != EAGAIN) {
      break;
    }
  }
  if (fd >= 0) {
    return Fd(fd);
  }
  const int err = errno;
  if (err == ENOENT || (err == ENOTDIR && not_a_directory_is_missing)) {
    return std::nullopt;
  }
  switch (err) {
  case EXDEV:
    throw Error(shown(path) + " is reached through a link that leads out of " + m_label +
                ": bcvk only uses files that stay inside it");
  case ELOOP:
    throw Error(shown(path) + " is a symbolic link (or a loop of them) where bcvk needs a real file");
  case ENOSYS:
    throw Error("this kernel lacks openat2(2): bcvk needs Linux 5.6 or later");
  default:
    throw Error("cannot open " + shown(path) + ": " + std::strerror(err));
  }
}

std::optional<std::string> RootedTree::read_file(const std::string& path, LinkPolicy policy,
                                                 std::size_t max_bytes) const {
  // Looked at before it is opened for reading: an image can carry device nodes, and opening one
  // (a watchdog, a tape) acts on the host.
  auto where = open_at(path, O_PATH, policy);
  if (!where) {
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(where->get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    throw Error(shown(path) + " is not a regular file");
  }
  // Reopened through the descriptor just checked, so the file read is the one examined.
  const std::string self = "/proc/self/fd/" + std::to_string(where->get());
  const Fd fd(::open(self.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd) {
    throw Error("cannot open " + shown(path) + ": " + std::strerror(errno));
  }
  return read_all(fd.get(), max_bytes, shown(path));
}

std::vector<TreeEntry> RootedTree::list(const std::string& path, LinkPolicy policy) const {
  auto fd = open_or_missing(path, O_RDONLY | O_DIRECTORY, policy, true);
  if (!fd) {
    return {};
  }
  std::vector<TreeEntry> out;
  for (const auto& name : list_dir_fd(fd->get(), shown(path))) {
    struct stat st {};
    if (::fstatat(fd->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      continue; // vanished meanwhile
    }
    out.push_back({name, kind_from_mode(st.st_mode)});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::optional<TreeEntry::Kind> RootedTree::kind_of(const std::string& path, LinkPolicy policy) const {
  // A parent that is a file means nothing of that name can exist.
  auto fd = open_or_missing(path, O_PATH, policy, true);
  if (!fd) {
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) {
    throw Error("cannot examine " + shown(path) + ": " + std::strerror(errno));
  }
  return kind_from_mode(st.st_mode);
}

Fd RootedTree::make_dirs(const std::string& rel) const {
  if (auto fd = open_at(rel, O_PATH | O_DIRECTORY, LinkPolicy::confined)) {
    return std::move(*fd);
  }
  const auto [parent_rel, base] = split_last(rel);
  const Fd parent = make_dirs(parent_rel);
  if (::mkdirat(parent.get(), base.c_str(), 0755) == 0) {
    // Whatever bcvk's umask: the guest's users must be able to pass through /etc/bcvk and friends.
    ::fchmodat(parent.get(), base.c_str(), 0755, 0);
  } else if (errno != EEXIST) {
    const int err = errno;
    throw Error("cannot create " + shown(rel) + ": " + std::strerror(err));
  }
  if (auto fd = open_at(rel, O_PATH | O_DIRECTORY, LinkPolicy::confined)) {
    return std::move(*fd);
  }
  throw Error("cannot create " + shown(rel) + ": it is a link to a directory that does not exist");
}

void RootedTree::write_file(const std::string& path, const std::string& content, unsigned mode) const {
  const auto [parent_rel, base] = split_last(tree_relative(path));
  if (base.empty() || base == "..") {
    throw Error("cannot write " + shown(path) + ": not a file name");
  }
  const Fd parent = make_dirs(parent_rel);
  replace_file_at(parent.get(), base, content, mode, shown(path));
}

void RootedTree::write_symlink(const std::string& path, const std::string& target) const {
  const auto [parent_rel, base] = split_last(tree_relative(path));
  if (base.empty() || base == "..") {
    throw Error("cannot write " + shown(path) + ": not a file name");
  }
  const Fd parent = make_dirs(parent_rel);
  replace_entry_at(parent.get(), base, shown(path),
                   [&](const std::string& tmp) { return ::symlinkat(target.c_str(), parent.get(), tmp.c_str()) == 0; });
}

void RootedTree::remove_entry(const std::string& path) const {
  const auto [parent_rel, base] = split_last(tree_relative(path));
  if (base.empty() || base == "..") {
    throw Error("cannot remove " + shown(path) + ": not a file name");
  }
  const auto parent = open_at(parent_rel, O_RDONLY | O_DIRECTORY, LinkPolicy::confined);
  struct stat st {};
  if (!parent || ::fstat(parent->get(), &st) != 0) {
    return;
  }
  // A link itself, never what it points to; a directory with what is below it, never crossing a
  // mount; what lies deeper than bcvk descends is moved aside into the parent.
  remove_entry_at(parent->get(), base, shown(path), st.st_dev, 0, parent->get());
}

Fd RootedTree::open_regular(const std::string& path, LinkPolicy policy, std::uint64_t max_bytes) const {
  // O_NONBLOCK: a FIFO the tree holds in its place must not block the open.
  auto file = open_at(path, O_RDONLY | O_NONBLOCK | O_NOCTTY, policy);
  if (!file) {
    throw Error(shown(path) + " does not exist");
  }
  struct stat st {};
  if (::fstat(file->get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    throw Error(shown(path) + " is not a regular file");
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    throw Error(shown(path) + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  return std::move(*file);
}

void RootedTree::copy_out(const std::string& path, LinkPolicy policy, const std::string& host_dest, unsigned mode,
                          std::uint64_t max_bytes) const {
  const Fd from = open_regular(path, policy, max_bytes);
  Fd to(::open(host_dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!to) {
    throw Error("cannot create " + host_dest + ": " + std::strerror(errno));
  }
  try {
    copy_fd_contents(from.get(), to.get(), shown(path), max_bytes);
  } catch (const Error&) {
    ::unlink(host_dest.c_str());
    throw;
  }
  if (::fchmod(to.get(), mode) != 0) {
    throw Error("cannot set the mode of " + host_dest + ": " + std::strerror(errno));
  }
}

void replace_file_at(int dir_fd, const std::string& name, const std::string& data, unsigned mode,
                     const std::string& shown) {
  replace_entry_at(dir_fd, name, shown, [&](const std::string& tmp) {
    Fd fd(::openat(dir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) {
      return false;
    }
    try {
      write_all(fd.get(), data, shown);
    } catch (const Error&) {
      ::unlinkat(dir_fd, tmp.c_str(), 0);
      throw;
    }
    // Explicit mode: the umask must not decide who may read a key or run a script.
    if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0) {
      const int err = errno;
      ::unlinkat(dir_fd, tmp.c_str(), 0);
      throw Error("cannot set the mode of " + shown + ": " + std::strerror(err));
    }
    return true;
  });
}

void remove_tree_nofollow(const std::string& path) {
  const auto slash = path.find_last_of('/');
  const std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") {
    throw Error("refusing to delete " + path + ": not a plain path");
  }
  Fd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent_fd) {
    if (errno == ENOENT) {
      return;
    }
    throw Error("cannot open " + parent + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(parent_fd.get(), &st) != 0) {
    throw Error("cannot examine " + parent + ": " + std::strerror(errno));
  }
  remove_entry_at(parent_fd.get(), name, path, st.st_dev, 0, -1);
}

bool root_group_is_root_alone() {
  // Looked up once: the account databases do not change under a running bcvk.
  static const bool alone = [] {
    if (const group* g = ::getgrgid(0); g != nullptr) {
      for (char** member = g->gr_mem; member != nullptr && *member != nullptr; ++member) {
        if (const passwd* p = ::getpwnam(*member); p == nullptr || p->pw_uid != 0) {
          return false;
        }
      }
    }
    ::setpwent();
    bool only_root = true;
    while (const passwd* p = ::getpwent()) {
      only_root = only_root && (p->pw_gid != 0 || p->pw_uid == 0);
    }
    ::endpwent();
    return only_root;
  }();
  return alone;
}

bool others_may_write(const std::string& path, const struct stat& st) {
  if ((st.st_mode & S_IWOTH) != 0) {
    return true;
  }
  if ((st.st_mode & S_IWGRP) == 0) {
    return false;
  }
  // Only an ACL beyond the mode bits is stored as this attribute.
  return st.st_gid != 0 || !root_group_is_root_alone() ||
         ::lgetxattr(path.c_str(), "system.posix_acl_access", nullptr, 0) >= 0;
}

std::optional<unsigned> fuse_mount_owner(std::string_view mountinfo, std::uint64_t mount_id) {
  std::size_t start = 0;
  while (start < mountinfo.size()) {
    auto end = mountinfo.find('\n', start);
    if (end == std::string_view::npos) {
      end = mountinfo.size();
    }
    const std::string line(mountinfo.substr(start, end - start));
    start = end + 1;
    std::istringstream fields(line);
    std::uint64_t id = 0;
    if (!(fields >> id) || id != mount_id) {
      continue;
    }
    const auto dash = line.find(" - ");
    if (dash == std::string::npos) {
      return std::nullopt;
    }
    std::istringstream tail(line.substr(dash + 3));
    std::string type, source, options;
    tail >> type >> source >> options;
    if (type != "fuse" && type != "fuseblk" && !type.starts_with("fuse.")) {
      return std::nullopt;
    }
    // FUSE records who mounted it; a mount without the option is taken as another user's.
    for (std::istringstream list(options); std::getline(list, options, ',');) {
      if (options.starts_with("user_id=") && options.size() > 8 &&
          options.find_first_not_of("0123456789", 8) == std::string::npos && options.size() <= 17) {
        return static_cast<unsigned>(std::stoul(options.substr(8)));
      }
    }
    return std::numeric_limits<unsigned>::max();
  }
  return std::nullopt;
}

namespace {

// Whose FUSE file system `dir` is on, when it is one: its daemon, run by that user, answers every
// lookup there, so it can put a link in place of any directory at any moment.
std::optional<unsigned> fuse_owner_of(const std::string& dir) {
  struct statfs fs {};
  if (::statfs(dir.c_str(), &fs) != 0 || fs.f_type != static_cast<decltype(fs.f_type)>(0x65735546)) {
    return std::nullopt; // not FUSE (FUSE_SUPER_MAGIC)
  }
  struct statx stx {};
  std::ifstream in("/proc/self/mountinfo");
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  if (::statx(AT_FDCWD, dir.c_str(), 0, STATX_MNT_ID, &stx) != 0 || (stx.stx_mask & STATX_MNT_ID) == 0) {
    return std::numeric_limits<unsigned>::max();
  }
  return fuse_mount_owner(text, stx.stx_mnt_id).value_or(std::numeric_limits<unsigned>::max());
}

} // namespace

std::string path_swap_risk(const std::string& absolute_path) {
  std::string dir = "/";
  std::size_t pos = 1;
  while (true) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
      return "";
    }
    const bool others_write = others_may_write(dir, st);
    if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
      return dir + " belongs to another user (uid " + std::to_string(st.st_uid) + ")";
    }
    if (const auto owner = fuse_owner_of(dir); owner && *owner != 0 && *owner != ::geteuid()) {
      return dir + " is on a FUSE file system another user runs (uid " +
             (*owner == std::numeric_limits<unsigned>::max() ? std::string("unknown") : std::to_string(*owner)) + ")";
    }
    if (others_write && !((st.st_mode & S_ISVTX) != 0 && st.st_uid == 0)) {
      return dir + " can be changed by other users";
    }
    const auto slash = absolute_path.find('/', pos);
    if (slash == std::string::npos) {
      return ""; // the last component is the path itself, not a directory on the way
    }
    dir = absolute_path.substr(0, slash);
    pos = slash + 1;
  }
}

Fd open_below(int dir_fd, const std::string& path, int flags, LinkPolicy policy) {
  return Fd(openat2_call(dir_fd, path.c_str(), static_cast<std::uint64_t>(flags | O_CLOEXEC), resolve_flags(policy)));
}

std::vector<std::string> list_dir_fd(int dir_fd, const std::string& shown) {
  const int copy = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  DIR* d = copy < 0 ? nullptr : ::fdopendir(copy);
  if (d == nullptr) {
    const int err = errno;
    if (copy >= 0) {
      ::close(copy);
    }
    throw Error("cannot list " + shown + ": " + std::strerror(err));
  }
  const Handle<DIR, ::closedir> dir(d);
  ::rewinddir(d);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") {
      names.push_back(name);
    }
    errno = 0;
  }
  if (errno != 0) {
    throw Error("cannot list " + shown + ": " + std::strerror(errno));
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_all(int fd, std::size_t max_bytes, const std::string& shown) {
  std::string out;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const int err = errno;
      throw Error("cannot read " + shown + ": " + std::strerror(err));
    }
    if (n == 0) {
      return out;
    }
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_bytes) {
      throw Error(shown + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
}

void write_all(int fd, std::string_view data, const std::string& shown) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw Error("cannot write " + shown + ": " + std::strerror(errno));
    }
    off += static_cast<std::size_t>(n);
  }
}

void copy_fd_contents(int from_fd, int to_fd, const std::string& shown, std::uint64_t max_bytes) {
  std::vector<char> buf(1 << 20);
  std::uint64_t copied = 0;
  while (true) {
    const ssize_t n = ::read(from_fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw Error("cannot read " + shown + ": " + std::strerror(errno));
    }
    if (n == 0) {
      return;
    }
    copied += static_cast<std::uint64_t>(n);
    if (copied > max_bytes) {
      throw Error(shown + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
    write_all(to_fd, std::string_view(buf.data(), static_cast<std::size_t>(n)), shown);
  }
}

} // namespace bcvk
