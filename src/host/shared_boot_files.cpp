#include "bcvk/host/shared_boot_files.hpp"

#include <fcntl.h>
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
#include "bcvk/vm/guest_init_binary.hpp"
#include "bcvk/vm/minimal_initramfs.hpp"

namespace bcvk {
namespace {

// Bumped whenever what bcvk writes into these files changes (e.g. the add-on), so that an entry
// made by an older bcvk is never booted by a newer one.
constexpr const char* k_format = "v2-"; // v2: the add-on also loads the machine's early modules
// The minimal initramfs's entries: "min1" (bumped as k_format is) and the init's fingerprint (no
// '-': it ends the prefix), so that files made for another init are never booted.
constexpr const char* k_minimal_format = "min1";
// Entries on their way in (being built) or out (being deleted): never used, swept under the lock.
constexpr const char* k_building = ".new-";
constexpr const char* k_leaving = ".old-";

std::string minimal_prefix(std::string_view init) {
  return k_minimal_format + init_fingerprint(init) + "-";
}

// Whether this bcvk makes entries named so: its image initramfs, or a minimal one with one of the
// inits it embeds.
bool is_current_prefix(const std::string& prefix) {
  // The inits are fingerprinted once (they are large), not for every entry looked at.
  static const std::vector<std::string> current = [] {
    std::vector<std::string> prefixes{k_format};
    for (const auto& arch : guest_init_architectures()) {
      prefixes.push_back(minimal_prefix(*guest_init_binary(arch)));
    }
    return prefixes;
  }();
  return std::find(current.begin(), current.end(), prefix) != current.end();
}

bool is_image_id(const std::string& id) {
  return id.size() == 64 &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Fd open_shared(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    throw Error("cannot open " + path + ": " + std::strerror(errno));
  }
  return fd;
}

bool is_nonempty_file(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Takes an entry out of use in one step (a rename), then deletes it: a process killed meanwhile
// leaves a ".old-" directory that the next one sweeps, never a half-deleted entry in use.
void discard(const std::string& root, const std::string& name) {
  const std::string leaving = root + "/" + k_leaving + name;
  remove_tree_nofollow(leaving);
  if (::rename((root + "/" + name).c_str(), leaving.c_str()) != 0 && errno != ENOENT) {
    throw Error("cannot take " + root + "/" + name + " out of use: " + std::strerror(errno));
  }
  remove_tree_nofollow(leaving);
}

// Whether the image's kernel can be mounted for QEMU as it is: QEMU runs as another user and
// reads it through the mount, which keeps the image's mode.
bool kernel_readable_by_all(const RootedTree& image_root, const BootArtifacts& boot) {
  const Fd kernel = image_root.open_regular(boot.kernel, LinkPolicy::beneath, k_max_boot_file_bytes);
  struct stat st {};
  return ::fstat(kernel.get(), &st) == 0 && (st.st_mode & S_IROTH) != 0;
}

// Makes the entry's files in a directory of their own, flushed to disk and moved into place only
// when complete.
void build_entry(const RootedTree& image_root, const BootArtifacts& boot, const std::string& root,
                 const std::string& key, const InitramfsRecipe& recipe) {
  const std::string building = root + "/" + k_building + key;
  remove_tree_nofollow(building);
  make_private_dir(building, 0700);
  try {
    const std::string kernel = building + "/vmlinuz";
    const std::string initrd = building + "/initramfs.img";
    const bool minimal = recipe.choice == InitramfsChoice::minimal;
    if (!boot.uki.empty()) {
      extract_uki(image_root, boot.uki, kernel, initrd);
      if (minimal && ::unlink(initrd.c_str()) != 0) { // only the UKI's kernel is used
        throw Error("cannot remove " + initrd + ": " + std::strerror(errno));
      }
    } else {
      if (!minimal) {
        image_root.copy_out(boot.initrd, LinkPolicy::beneath, initrd, 0644, k_max_boot_file_bytes);
      }
      if (!kernel_readable_by_all(image_root, boot)) {
        image_root.copy_out(boot.kernel, LinkPolicy::beneath, kernel, 0644, k_max_boot_file_bytes);
      }
    }
    if (minimal) {
      write_minimal_initramfs(image_root, boot.kernel_version, initrd, recipe.early_modules, recipe.init);
    } else {
      append_virtiofs_addon(image_root, boot.kernel_version, initrd, recipe.early_modules);
    }
    make_private_dir(building + "/users", 0700);
    for (const auto& file : {kernel, initrd}) {
      if (exists_nofollow(file)) {
        sync_path(file);
      }
    }
    sync_path(building);
    if (::rename(building.c_str(), (root + "/" + key).c_str()) != 0) {
      throw Error("cannot move " + building + " into place: " + std::strerror(errno));
    }
    sync_path(root);
  } catch (...) {
    remove_tree_nofollow(building);
    throw;
  }
}

// An entry is used only when whole: a UKI's needs its kernel as well.
bool is_whole(const std::string& entry, const BootArtifacts& boot) {
  return is_directory(entry + "/users") && is_nonempty_file(entry + "/initramfs.img") &&
         (boot.uki.empty() || is_nonempty_file(entry + "/vmlinuz"));
}

void add_user(const std::string& users_dir, const VmName& user) {
  create_empty_file(users_dir + "/" + user.str(), 0600);
}

// Drops `user`'s record from an entry, if it has one. What a failure here leaves would keep the
// entry's files for an instance that is gone.
void drop_user(const std::string& entry, const VmName& user) {
  const std::string record = entry + "/users/" + user.str();
  if (::unlink(record.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) {
    throw Error("cannot remove " + record + ": " + std::strerror(errno));
  }
}

// Drops `leaving` (if any) and the users that no longer exist from an entry; true when nobody is left.
bool drop_users(const std::string& entry, const VmName* leaving, const InstanceExists& exists) {
  const std::string users_dir = entry + "/users";
  const Fd dir(::open(users_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) {
    return true; // an entry without its list is no use
  }
  std::size_t left = 0;
  for (const auto& name : list_dir_fd(dir.get(), users_dir)) {
    const auto parsed = VmName::try_parse(name);
    if (parsed && (leaving == nullptr || *parsed != *leaving) && exists(*parsed)) {
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
                                      const std::string& image_id, const VmName& user, const InitramfsRecipe& recipe) {
  if (!is_image_id(image_id)) {
    throw Error("unexpected image ID '" + image_id + "' from podman");
  }
  ensure_state_root();
  const std::string root = shared_boot_files_root();
  make_private_dir(root, 0700);
  const ExclusiveFileLock lock(root + "/lock"); // one process at a time changes the shared files
  const std::string key =
      (recipe.choice == InitramfsChoice::minimal ? minimal_prefix(recipe.init) : std::string(k_format)) + image_id;
  const std::string entry = root + "/" + key;
  if (exists_nofollow(entry) && !is_whole(entry, boot)) {
    // Cut short by a power loss: made again. Its other users record themselves again when they
    // next start; running VMs keep the files they mounted.
    spdlog::warn("{} is incomplete; making it again", entry);
    discard(root, key);
  }
  if (!exists_nofollow(entry)) {
    spdlog::debug("making the shared boot files of image {}", image_id.substr(0, 12));
    build_entry(image_root, boot, root, key, recipe);
  }
  add_user(entry + "/users", user);
  SharedBootFiles files;
  if (exists_nofollow(entry + "/vmlinuz")) {
    files.kernel = open_shared(entry + "/vmlinuz");
  }
  files.initrd_path = entry + "/initramfs.img";
  files.initrd = open_shared(files.initrd_path);
  return files;
}

void leave_shared_boot_files(const std::string& image_id, const VmName& user, const InstanceExists& exists,
                             const ImagePresent& image_present) {
  const std::string root = shared_boot_files_root();
  const Fd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root_fd) {
    return; // nothing was ever shared
  }
  const ExclusiveFileLock lock(root + "/lock"); // one process at a time changes the shared files
  for (const auto& name : list_dir_fd(root_fd.get(), root)) {
    const std::string entry = root + "/" + name;
    const bool leftover = name.starts_with(k_building) || name.starts_with(k_leaving);
    const auto dash = name.find('-');
    const bool is_entry = !leftover && name != "lock" && dash != std::string::npos;
    const std::string entry_image = is_entry ? name.substr(dash + 1) : std::string();
    // The user's own record, in its image's entry (in every entry when its state no longer names
    // its image): a failure to drop it is the caller's to report.
    if (is_entry && (image_id.empty() || entry_image == image_id)) {
      drop_user(entry, user);
    }
    // Tidying what others left never keeps this user from leaving: a failure only warns.
    try {
      if (leftover) {
        remove_tree_nofollow(entry); // left by a killed process: none works while the lock is held
      } else if (is_entry) {
        // Any set without users goes once its image is gone, or at once when this bcvk would not
        // make it (another format, or another build's init): nobody boots it again.
        const VmName* leaving = entry_image == image_id ? &user : nullptr;
        if (drop_users(entry, leaving, exists) && (!is_current_prefix(name.substr(0, dash + 1)) ||
                                                   !(is_image_id(entry_image) && image_present(entry_image)))) {
          spdlog::debug("removing {}: no instance uses it, and its image is gone or it is of another bcvk", entry);
          discard(root, name);
        }
      }
    } catch (const std::exception& e) {
      spdlog::warn("cannot tidy the shared boot files in {}: {}", entry, e.what());
    }
  }
}

} // namespace bcvk
