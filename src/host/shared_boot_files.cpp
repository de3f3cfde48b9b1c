#include "bcvk/host/shared_boot_files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "bcvk/host/initrd_append.hpp"
#include "bcvk/host/state_dir.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/files.hpp"

namespace bcvk {
namespace {

// Bumped whenever what bcvk writes into these files changes (e.g. the add-on), so that an entry
// made by an older bcvk is never booted by a newer one.
constexpr const char* k_format = "v1-";
constexpr const char* k_building = ".new-";

bool is_image_id(const std::string& id) {
  return id.size() == 64 &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Held while an entry is made, joined or left: one process at a time changes the shared files.
class SharedFilesLock {
public:
  explicit SharedFilesLock(const std::string& root) {
    const std::string path = root + "/lock";
    m_fd = Fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!m_fd || ::flock(m_fd.get(), LOCK_EX) != 0) {
      throw Error("cannot lock " + path + ": " + std::strerror(errno));
    }
  }

private:
  Fd m_fd;
};

Fd open_shared(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    throw Error("cannot open " + path + ": " + std::strerror(errno));
  }
  return fd;
}

bool exists_no_follow(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// Makes the entry's files in a directory of their own, moved into place only when complete: an
// entry that exists is whole, and what a killed build left is swept by the next one.
void build_entry(const RootedTree& image_root, const BootArtifacts& boot, const std::string& root,
                 const std::string& key) {
  const std::string building = root + "/" + k_building + key;
  remove_tree_nofollow(building);
  make_private_dir(building, 0700);
  try {
    const std::string initrd = building + "/initramfs.img";
    if (!boot.uki.empty()) {
      extract_uki(image_root, boot.uki, building + "/vmlinuz", initrd);
    } else {
      image_root.copy_out(boot.initrd, LinkPolicy::beneath, initrd, 0644, k_max_boot_file_bytes);
    }
    append_virtiofs_addon(image_root, boot.kernel_version, initrd);
    make_private_dir(building + "/users", 0700);
    if (::rename(building.c_str(), (root + "/" + key).c_str()) != 0) {
      throw Error("cannot move " + building + " into place: " + std::strerror(errno));
    }
  } catch (...) {
    remove_tree_nofollow(building);
    throw;
  }
}

void add_user(const std::string& users_dir, const VmName& user) {
  const std::string path = users_dir + "/" + user.str();
  const Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) {
    throw Error("cannot record " + user.str() + " in " + users_dir + ": " + std::strerror(errno));
  }
}

// Drops `user` and the users that no longer exist from an entry; true when nobody is left.
bool drop_users(const std::string& entry, const VmName& user, const InstanceExists& exists) {
  const std::string users_dir = entry + "/users";
  const Fd dir(::open(users_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) {
    return true; // an entry without its list was never completed
  }
  std::size_t left = 0;
  for (const auto& name : list_dir_fd(dir.get(), users_dir)) {
    const auto parsed = VmName::try_parse(name);
    if (parsed && *parsed != user && exists(*parsed)) {
      ++left;
    } else if (::unlinkat(dir.get(), name.c_str(), 0) != 0 && errno != ENOENT) {
      throw Error("cannot remove " + users_dir + "/" + name + ": " + std::strerror(errno));
    }
  }
  return left == 0;
}

} // namespace

std::string shared_boot_files_root() {
  return state_root() + "/boot";
}

SharedBootFiles use_shared_boot_files(const RootedTree& image_root, const BootArtifacts& boot,
                                      const std::string& image_id, const VmName& user) {
  if (!is_image_id(image_id)) {
    throw Error("unexpected image ID '" + image_id + "' from podman");
  }
  ensure_state_root();
  const std::string root = shared_boot_files_root();
  make_private_dir(root, 0700);
  const SharedFilesLock lock(root);
  const std::string key = k_format + image_id;
  const std::string entry = root + "/" + key;
  if (!exists_no_follow(entry)) {
    spdlog::debug("making the shared boot files of image {}", image_id.substr(0, 12));
    build_entry(image_root, boot, root, key);
  }
  add_user(entry + "/users", user);
  SharedBootFiles files;
  if (!boot.uki.empty()) {
    files.kernel = open_shared(entry + "/vmlinuz");
  }
  files.initrd_path = entry + "/initramfs.img";
  files.initrd = open_shared(files.initrd_path);
  return files;
}

void leave_shared_boot_files(const VmName& user, const InstanceExists& exists) {
  const std::string root = shared_boot_files_root();
  const Fd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root_fd) {
    return; // nothing was ever shared
  }
  const SharedFilesLock lock(root);
  for (const auto& name : list_dir_fd(root_fd.get(), root)) {
    const std::string entry = root + "/" + name;
    if (name == "lock") {
      continue;
    }
    if (name.rfind(k_building, 0) == 0) {
      remove_tree_nofollow(entry); // left by a killed build: none runs while the lock is held
      continue;
    }
    if (drop_users(entry, user, exists)) {
      spdlog::debug("removing {}: no instance uses it any more", entry);
      remove_tree_nofollow(entry);
    }
  }
}

} // namespace bcvk
