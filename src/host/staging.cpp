#include "bcvk/host/staging.hpp"

#include <fcntl.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>

#include "bcvk/host/mounts.hpp"
#include "bcvk/host/storage_view.hpp"
#include "bcvk/vm/resolved_inputs.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/util/handle.hpp"

namespace bcvk {

namespace {

// Whether `dir` (resolved) is podman's storage root, which podman names as configured, links and all.
bool is_storage_root(const std::string& dir, ImageStore& store) {
  std::error_code ec;
  const auto root = std::filesystem::canonical(store.storage_root(), ec);
  return !ec && root.string() == dir;
}

} // namespace

void mount_read_only_views(const InstanceLayout& layout, const std::vector<BindSpec>& binds, ImageStore& store) {
  for (const auto& bind : binds) {
    if (!bind.read_only) {
      continue;
    }
    const std::string view = layout.read_only_view(bind.name);
    // ro/ is private: the views make host directories reachable by a new path.
    make_private_dir(layout.read_only_views_dir(), 0700);
    make_private_dir(view, 0755);
    // Only podman's own storage is the storage view: a VM kept by a bcvk that let a user's share
    // take the name gets that directory as it asked.
    if (bind.name == k_storage_mount_name && is_storage_root(bind.host_path, store)) {
      // The image and layer stores alone, as the images are now (a kept VM sees today's).
      mount_storage_view(bind.host_path, store.image_layer_ids(), view);
    } else {
      bind_mount_read_only(bind.host_path, view);
    }
  }
}

namespace {

// The access ACL "u::rwx,u:UID:--x,g::---,m::--x,o::---" in the kernel's xattr form: root keeps
// the directory, the one user may pass through it, nobody else (QEMU's group may hold people).
std::vector<unsigned char> traverse_only_acl(unsigned uid) {
  struct Entry {
    std::uint16_t tag;
    std::uint16_t perm;
    std::uint32_t id;
  };
  constexpr auto undefined = static_cast<std::uint32_t>(ACL_UNDEFINED_ID);
  const Entry entries[] = {{ACL_USER_OBJ, ACL_READ | ACL_WRITE | ACL_EXECUTE, undefined},
                           {ACL_USER, ACL_EXECUTE, uid},
                           {ACL_GROUP_OBJ, 0, undefined},
                           {ACL_MASK, ACL_EXECUTE, undefined},
                           {ACL_OTHER, 0, undefined}};
  std::vector<unsigned char> out;
  const auto put = [&out](std::uint32_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) {
      out.push_back(static_cast<unsigned char>(value >> (8 * i))); // little-endian, whatever the host
    }
  };
  put(POSIX_ACL_XATTR_VERSION, 4);
  for (const auto& e : entries) {
    put(e.tag, 2);
    put(e.perm, 2);
    put(e.id, 4);
  }
  return out;
}

} // namespace

void open_to_hypervisor(const InstanceLayout& layout, unsigned user) {
  const auto acl = traverse_only_acl(user);
  for (const auto& dir : {layout.path(), layout.boot_dir()}) {
    // The directory itself, never what a link there names: set on the descriptor. Root's alone
    // first (which also drops what an older bcvk gave QEMU's group), then the user let through.
    const Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd || ::fchown(fd.get(), 0, 0) != 0 || ::fchmod(fd.get(), 0700) != 0) {
      throw Error("cannot make " + dir + " root's alone: " + std::strerror(errno));
    }
    if (user != 0 && ::fsetxattr(fd.get(), "system.posix_acl_access", acl.data(), acl.size(), 0) != 0) {
      throw Error("cannot let QEMU's user " + std::to_string(user) + " through " + dir + ": " + std::strerror(errno) +
                  (errno == EOPNOTSUPP ? " (the state directory's file system needs POSIX ACLs)" : ""));
    }
  }
}

void create_formatted_file(const std::string& path, std::uint64_t bytes, const std::string& what,
                           std::vector<std::string> format, ProcessRunner& runner) {
  {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd || ::ftruncate(fd.get(), static_cast<off_t>(bytes)) != 0) {
      throw Error("cannot create " + what + " " + path + ": " + std::strerror(errno));
    }
  }
  const std::string program = format.front();
  format.push_back("--");
  format.push_back(path);
  const auto r = runner.run(format);
  if (r.status != 0) {
    throw Error(program + " " + path + " failed: " + r.err.substr(0, r.err.find('\n')));
  }
}

void create_swap(const std::string& path, std::uint64_t bytes, ProcessRunner& runner) {
  create_formatted_file(path, bytes, "swap file", {"mkswap", "-q"}, runner);
}

} // namespace bcvk
