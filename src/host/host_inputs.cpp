#include "bcvk/host/host_inputs.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/guest_files.hpp"
#include "bcvk/vm/ignition_config.hpp"
#include "bcvk/util/handle.hpp"
#include "bcvk/host/mounts.hpp"
#include "bcvk/host/port_probe.hpp"
#include "bcvk/host/state_dir.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/util/rooted_fs.hpp"

namespace fs = std::filesystem;

namespace bcvk {
namespace {

// Unit directories hold small text files; these bounds keep a mistaken directory from being read.
constexpr std::size_t k_max_unit_bytes = 1 << 20;
constexpr std::size_t k_max_unit_files = 1000;

std::string absolute_existing(const std::string& option, const std::string& path) {
  std::error_code ec;
  const fs::path resolved = fs::canonical(path, ec);
  if (ec) {
    throw UsageError(option + ": " + path + " does not exist: give an existing path");
  }
  return resolved.string();
}

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FileId&) const = default;
};

std::optional<FileId> id_of(const Fd& fd) {
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0) {
    return std::nullopt;
  }
  return FileId{st.st_dev, st.st_ino};
}

// Whether `path` is the directory `ancestor` itself or below it, by identity: from `path` up
// through each "..", to the root. A directory reached by another name (a bind mount of the state
// directory or of a directory above it, ostree's /sysroot/ostree/deploy/.../var) is still itself.
bool is_at_or_below_dir(const std::string& path, const FileId& ancestor) {
  std::error_code ec;
  const std::string start = fs::is_directory(path, ec) ? path : fs::path(path).parent_path().string();
  Fd dir(::open(start.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  for (int depth = 0; depth < 4096; ++depth) {
    const auto id = id_of(dir);
    if (!id) {
      return false;
    }
    if (*id == ancestor) {
      return true;
    }
    Fd parent(::openat(dir.get(), "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (id_of(parent) == id) {
      return false; // the root is its own parent
    }
    dir = std::move(parent);
  }
  return false;
}

// The state directory, or the nearest directory above it that exists (where bcvk will make it).
std::string existing_state_dir_or_parent(const std::string& state) {
  fs::path at(state);
  std::error_code ec;
  while (at.has_relative_path() && !fs::is_directory(at, ec)) {
    at = at.parent_path();
  }
  return at.string();
}

void refuse_state_dir(const std::string& option, const std::string& given, const std::string& resolved,
                      bool ancestors_too) {
  const std::string state = state_root(); // canonical once it exists
  const Fd state_fd(::open(state.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  const auto state_id = id_of(state_fd);
  const Fd resolved_fd(::open(resolved.c_str(), O_PATH | O_CLOEXEC));
  const auto resolved_id = id_of(resolved_fd);
  // By position in the file systems too: the state directory's file system reached through another
  // mount of it (ostree's /sysroot holds what /var shows, a bind of a directory inside it).
  const auto mounts = read_mountinfo("/proc/self/mountinfo");
  const auto state_position = fs_position(mounts, state);
  const auto resolved_position = fs_position(mounts, resolved);
  const bool inside =
      is_at_or_below(resolved, state) || (state_id && is_at_or_below_dir(resolved, *state_id)) ||
      (state_id && state_position && resolved_position && resolved_position->device == state_position->device &&
       is_at_or_below(resolved_position->path, state_position->path));
  // A share of a directory above the state directory, or above where it is going to be made.
  const std::string state_or_parent = existing_state_dir_or_parent(state);
  const auto state_or_parent_position = fs_position(mounts, state_or_parent);
  const bool contains =
      ancestors_too &&
      (is_at_or_below(state, resolved) || (resolved_id && is_at_or_below_dir(state_or_parent, *resolved_id)) ||
       (state_or_parent_position &&
        // A mount below the share that shows a part of the state directory (its instances/) counts
        // too, once the state directory exists; a part of its parent would be anything else there.
        share_shows(mounts, resolved, *state_or_parent_position, state_id.has_value())));
  if (inside || contains) {
    throw UsageError(option + ": " + given + " " + (inside ? "is inside" : "contains") + " bcvk's state directory " +
                     state + " (other VMs' keys and disks): choose another path");
  }
}

// /proc, /sys and their kind: files there are kernel controls, not data.
void refuse_pseudo_fs(const std::string& option, const std::string& given, const std::string& resolved) {
  struct statfs st {};
  if (::statfs(resolved.c_str(), &st) != 0) {
    return;
  }
  switch (static_cast<unsigned long>(st.f_type)) {
  case PROC_SUPER_MAGIC:
  case SYSFS_MAGIC:
  case CGROUP_SUPER_MAGIC:
  case CGROUP2_SUPER_MAGIC:
  case DEBUGFS_MAGIC:
  case SECURITYFS_MAGIC:
  case TRACEFS_MAGIC:
  case BPF_FS_MAGIC:
  case EFIVARFS_MAGIC:
    throw UsageError(option + ": " + given +
                     " is on a kernel pseudo file system (/proc, /sys, ...): choose a path "
                     "on a real file system");
  default:
    break;
  }
}

// libvirt, virtiofsd and QEMU open these paths again later, as root: no other user may be able to
// swap them (or a directory on the way) for a link in between.
void refuse_swappable(const std::string& option, const std::string& given, const std::string& resolved) {
  const std::string risk = path_swap_risk(resolved);
  if (!risk.empty()) {
    throw UsageError(option + ": " + risk + ", who could swap " + given +
                     " for a link: use a path whose directories only root can change (not a home directory)");
  }
}

// A file in a shared sticky directory (like /tmp) is safe only while it is ours; and a second
// name of a file could be a hard link someone made to a file of root's.
void refuse_foreign_file(const std::string& option, const std::string& given, const struct stat& st,
                         const std::string& dir, const struct stat& dir_st) {
  if (others_may_write(dir, dir_st) && st.st_uid != ::geteuid()) {
    throw UsageError(option + ": " + given +
                     " belongs to another user in a shared directory: move it or choose "
                     "another path");
  }
  if (S_ISREG(st.st_mode) && st.st_nlink != 1) {
    throw UsageError(option + ": " + given + " has " + std::to_string(st.st_nlink) +
                     " hard links, so it may be another file under a second name: give a file with one name");
  }
}

std::string existing_dir(const std::string& option, const std::string& path) {
  const std::string resolved = absolute_existing(option, path);
  std::error_code ec;
  if (!fs::is_directory(resolved, ec)) {
    throw UsageError(option + ": " + path + " is not a directory: give a directory to share");
  }
  return resolved;
}

// The group that owns disks ("disk" on Debian and Fedora): its members may write every block device
// anyway, so one writable by it is no more exposed than any other disk.
gid_t disk_group() {
  const struct group* g = ::getgrnam("disk");
  return g != nullptr ? g->gr_gid : 0;
}

// qemu-img parses a file another party may have shaped (the guest writes its disks): it runs with
// bounded memory, CPU and wall time. `format` is the one recorded at first use; empty: probe.
std::string disk_format(const std::string& path, const std::string& format, ProcessRunner& runner) {
  std::vector<std::string> argv{"prlimit", "--as=2147483648", "--cpu=30",     "--", "timeout", "60", "qemu-img",
                                "info",    "--force-share",   "--output=json"};
  if (!format.empty()) {
    argv.insert(argv.end(), {"-f", format});
  }
  argv.insert(argv.end(), {"--", path});
  const auto r = runner.run(argv);
  if (r.status != 0) {
    throw UsageError("--mount-disk-file: cannot read " + path +
                     " as a disk image: " + r.err.substr(0, r.err.find('\n')));
  }
  const DiskImageInfo info = parse_qemu_img_info(r.out);
  if (info.format != "raw" && info.format != "qcow2") {
    throw UsageError("--mount-disk-file: " + path + " is a " + info.format +
                     " image: use raw or qcow2 (convert with 'qemu-img convert -O qcow2')");
  }
  // libvirt would open (and hand QEMU) whatever file the image names, wherever it is.
  if (!info.external_file.empty()) {
    throw UsageError("--mount-disk-file: " + path + " refers to another file (" + info.external_file +
                     "): use a self-contained image (qemu-img convert -O qcow2 makes one)");
  }
  return info.format;
}

DiskAttachment disk_attachment(const DiskFileSpec& disk, ProcessRunner& runner) {
  const std::string option = "--mount-disk-file";
  const std::string path = absolute_existing(option, disk.path);
  refuse_state_dir(option, disk.path, path, false);
  refuse_pseudo_fs(option, disk.path, path);
  refuse_swappable(option, disk.path, path);
  struct stat st {};
  struct stat dir_st {};
  if (::stat(path.c_str(), &st) != 0 || ::stat(fs::path(path).parent_path().c_str(), &dir_st) != 0 ||
      (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
    throw UsageError(option + ": " + disk.path + " is not a file or block device");
  }
  refuse_foreign_file(option, disk.path, st, fs::path(path).parent_path().string(), dir_st);
  // Whoever can write the file can give it a backing file (a host file the guest would then
  // read) between this check and libvirt's open. A block device's group (disk) may write it: its
  // members can change any disk anyway.
  if (st.st_uid != 0) {
    throw UsageError(option + ": " + disk.path + " belongs to uid " + std::to_string(st.st_uid) +
                     ", who could rewrite it before QEMU opens it: give a disk file owned by root (chown root FILE)");
  }
  bool writable_by_others = others_may_write(path, st);
  if (S_ISBLK(st.st_mode) && writable_by_others && st.st_gid == disk_group()) {
    struct stat as_root_group = st; // the disk group counts as root's; an ACL or others' write does not
    as_root_group.st_gid = 0;
    writable_by_others = others_may_write(path, as_root_group);
  }
  if (writable_by_others) {
    throw UsageError(option + ": " + disk.path +
                     " is writable by other users, who could rewrite it before QEMU "
                     "opens it: make it writable by root alone (chmod go-w FILE)");
  }
  // A block device the host itself uses (a mounted file system, another VM's root file system on
  // its loop device) would be read and written by the guest under the host's feet.
  // (O_NONBLOCK: an optical drive is not spun up or closed for the question.)
  if (S_ISBLK(st.st_mode) && !Fd(::open(path.c_str(), O_RDONLY | O_EXCL | O_NONBLOCK | O_CLOEXEC)) && errno == EBUSY) {
    throw UsageError(option + ": " + disk.path +
                     " is in use on the host (mounted, swap, part of LVM, RAID or device-mapper, or a VM's root "
                     "file system; 'lsblk " +
                     disk.path + "' shows it): give a block device nothing else uses");
  }
  // With a recorded format qemu-img reads the file as that format or fails: never another one.
  return {path, disk_format(path, disk.format, runner), disk.name};
}

BindSpec bind_share(const std::string& option, const BindSpec& bind) {
  const std::string dir = existing_dir(option, bind.host_path);
  refuse_state_dir(option, bind.host_path, dir, true);
  refuse_pseudo_fs(option, bind.host_path, dir);
  refuse_swappable(option, bind.host_path, dir);
  // The directory itself, in a shared sticky one, could be renamed away by its owner.
  struct stat st {};
  struct stat parent_st {};
  if (dir != "/" && ::stat(dir.c_str(), &st) == 0 && ::stat(fs::path(dir).parent_path().c_str(), &parent_st) == 0) {
    refuse_foreign_file(option, bind.host_path, st, fs::path(dir).parent_path().string(), parent_st);
  }
  return {dir, bind.name, bind.read_only, bind.guest_path};
}

std::string bind_option(const BindSpec& bind) {
  if (bind.name == k_storage_mount_name) {
    return "--bind-storage-ro";
  }
  return bind.read_only ? "--ro-bind" : "--bind";
}

// For messages: "is a symbolic link".
const char* kind_name(mode_t mode) {
  if (S_ISLNK(mode)) {
    return "a symbolic link";
  }
  if (S_ISDIR(mode)) {
    return "a directory";
  }
  if (S_ISFIFO(mode)) {
    return "a FIFO";
  }
  if (S_ISCHR(mode) || S_ISBLK(mode)) {
    return "a device";
  }
  if (S_ISSOCK(mode)) {
    return "a socket";
  }
  return "not a regular file";
}

// virtlogd opens the target by path as root, and again each time it rotates it (at 2 MiB: FILE
// becomes FILE.0 and a new FILE is created with O_CREAT, following links, at a moment the guest
// chooses). So nobody but root may be able to add a name to its directory, sticky or not: a link
// planted there would have root write guest-chosen bytes wherever it points.
ChannelOutput serial_output(const SerialOutSpec& spec) {
  const std::string option = "--virtio-serial-out";
  const fs::path given(spec.path);
  const std::string base = given.filename().string();
  if (base.empty() || base == "." || base == "..") {
    throw UsageError(option + ": " + spec.path + " is a directory: give a file path");
  }
  std::error_code ec;
  const fs::path parent = fs::canonical(fs::absolute(given, ec).parent_path(), ec);
  if (ec || !fs::is_directory(parent, ec)) {
    throw UsageError(option + ": the directory of " + spec.path + " does not exist: create it first");
  }
  const std::string target = (parent / base).string();
  refuse_state_dir(option, spec.path, target, false);
  refuse_pseudo_fs(option, spec.path, parent.string());
  refuse_swappable(option, spec.path, target);
  struct stat dir_st {};
  if (::stat(parent.c_str(), &dir_st) != 0) {
    throw UsageError(option + ": cannot examine " + parent.string() + ": " + std::strerror(errno));
  }
  if (others_may_write(parent.string(), dir_st) || (dir_st.st_mode & S_ISVTX) != 0 || dir_st.st_uid != 0) {
    throw UsageError(option + ": other users can add files to " + parent.string() + ", where virtlogd re-creates " +
                     base +
                     " by name each time it rotates it: choose a directory only root can write (e.g. /var/log/NAME)");
  }
  struct stat st {};
  if (::lstat(target.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) {
      throw UsageError(option + ": " + spec.path + " is " + kind_name(st.st_mode) +
                       ": give a regular file (an existing one is appended to)");
    }
    refuse_foreign_file(option, spec.path, st, parent.string(), dir_st);
  }
  return {spec.name, target, true};
}

// Reads the regular file `name` of the directory open at `dir_fd` (whose path is `dir`, its lstat
// `dir_st`): never through a link, never a FIFO or device, never a second name of a file, and in a
// directory others may write only a file of ours. nullopt when it does not exist.
std::optional<std::string> read_input_file(const std::string& option, int dir_fd, const std::string& dir,
                                           const struct stat& dir_st, const std::string& name, const std::string& shown,
                                           std::size_t max_bytes) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    throw UsageError(option + ": cannot examine " + printable(shown) + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    throw UsageError(option + ": " + printable(shown) + " is " + kind_name(st.st_mode) +
                     ": put the file itself there (bcvk follows no links)");
  }
  refuse_foreign_file(option, printable(shown), st, dir, dir_st);
  // O_NONBLOCK: should a FIFO take the file's place meanwhile, opening it must not hang.
  const Fd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  struct stat opened {};
  if (!fd || ::fstat(fd.get(), &opened) != 0 || !S_ISREG(opened.st_mode) || opened.st_ino != st.st_ino ||
      opened.st_dev != st.st_dev) {
    throw UsageError(option + ": cannot read " + printable(shown) + ": it changed while bcvk read it");
  }
  try {
    return read_all(fd.get(), max_bytes, printable(shown));
  } catch (const Error& e) {
    throw UsageError(option + ": " + e.what());
  }
}

void read_units_below(int dir_fd, const std::string& shown_dir, const std::string& prefix, std::vector<UnitFile>& out) {
  struct stat dir_st {};
  if (::fstat(dir_fd, &dir_st) != 0) {
    throw UsageError("--systemd-units: cannot examine " + shown_dir + ": " + std::strerror(errno));
  }
  for (const auto& name : list_dir_fd(dir_fd, shown_dir)) {
    const std::string shown = shown_dir + "/" + name;
    check_plain_text("--systemd-units", "file name", name);
    struct stat st {};
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      throw UsageError("--systemd-units: cannot examine " + shown + ": " + std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
      const Fd sub(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) {
        throw UsageError("--systemd-units: cannot open " + shown + ": " + std::strerror(errno));
      }
      read_units_below(sub.get(), shown, prefix + name + "/", out);
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      throw UsageError("--systemd-units: " + shown + " is " + kind_name(st.st_mode) +
                       ": put the unit file itself there (bcvk follows no links; [Install] sections enable units)");
    }
    if (out.size() >= k_max_unit_files) {
      throw UsageError("--systemd-units: more than " + std::to_string(k_max_unit_files) + " files in " + shown_dir);
    }
    UnitFile unit{prefix + name, "", false};
    auto content = read_input_file("--systemd-units", dir_fd, shown_dir, dir_st, name, shown, k_max_unit_bytes);
    if (!content) {
      throw UsageError("--systemd-units: cannot read " + shown + ": it changed while bcvk read it");
    }
    unit.content = std::move(*content);
    // Template units need an instance name to be enabled; they stay available for others to use.
    unit.enable = prefix.empty() && is_unit_name(name) && name.find("@.") == std::string::npos;
    if (unit.enable) {
      for (const auto& [target, kind] : install_targets(unit.content)) {
        if (!is_unit_name(target)) {
          throw UsageError("--systemd-units: " + shown + ": " + (kind == "wants" ? "WantedBy=" : "RequiredBy=") +
                           " value '" + printable(target) + "' is not a unit name: use e.g. multi-user.target");
        }
      }
    }
    out.push_back(std::move(unit));
  }
}

// The directory `path` names, opened, then checked as an input bcvk reads (not inside bcvk's state,
// not a kernel pseudo file system): the checks look at the directory held open, and its name must
// still lead to it afterwards. `dir` and `dir_st` are set to its path and stat.
Fd open_input_dir(const std::string& option, const std::string& path, std::string& dir, struct stat& dir_st) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || ::fstat(fd.get(), &dir_st) != 0) {
    const int err = errno;
    if (err == ENOENT) {
      throw UsageError(option + ": " + printable(path) + " does not exist: give an existing path");
    }
    throw UsageError(option + ": cannot open " + printable(path) + ": " + std::strerror(err) +
                     (err == ENOTDIR ? " (give the directory)" : ""));
  }
  const std::string held = "/proc/self/fd/" + std::to_string(fd.get());
  std::error_code ec;
  dir = fs::canonical(held, ec).string();
  refuse_pseudo_fs(option, path, held);
  if (ec || dir.front() != '/') {
    throw UsageError(option + ": " + printable(path) + " is not reachable by a path: give another directory");
  }
  refuse_state_dir(option, path, dir, false);
  struct stat named {};
  if (::stat(dir.c_str(), &named) != 0 || named.st_dev != dir_st.st_dev || named.st_ino != dir_st.st_ino) {
    throw UsageError(option + ": " + printable(path) + " changed while bcvk read it");
  }
  return fd;
}

} // namespace

std::vector<SeedFile> read_cloud_init_seed(const std::string& path) {
  const std::string option = "--cloud-init";
  std::string dir;
  struct stat dir_st {};
  const Fd fd = open_input_dir(option, path, dir, dir_st);
  std::vector<SeedFile> seed;
  for (const auto& name : nocloud_seed_names()) {
    if (auto content = read_input_file(option, fd.get(), dir, dir_st, name, path + "/" + name, k_max_seed_file_bytes)) {
      seed.push_back({name, std::move(*content)});
    }
  }
  check_cloud_init_seed(path, seed);
  return seed;
}

std::string read_ignition_config(const std::string& file) {
  const std::string option = "--ignition";
  const fs::path given(file);
  const std::string name = given.filename().string();
  if (name.empty() || name == "." || name == "..") {
    throw UsageError(option + ": " + printable(file) + " names a directory: give the config file");
  }
  std::string dir;
  struct stat dir_st {};
  const Fd fd = open_input_dir(option, given.parent_path().empty() ? "." : given.parent_path().string(), dir, dir_st);
  auto config = read_input_file(option, fd.get(), dir, dir_st, name, file, k_max_ignition_config_bytes);
  if (!config) {
    throw UsageError(option + ": " + printable(file) + " does not exist: give an existing file");
  }
  check_ignition_config(file, *config);
  return std::move(*config);
}

std::vector<UnitFile> read_unit_dir(const std::string& system_dir) {
  const Fd fd(::open(system_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    throw UsageError("--systemd-units: cannot open " + system_dir + ": " + std::strerror(errno) +
                     (errno == ELOOP || errno == ENOTDIR ? " (system/ must be a real directory, not a link)" : ""));
  }
  std::vector<UnitFile> units;
  read_units_below(fd.get(), system_dir, "", units);
  return units;
}

DiskImageInfo parse_qemu_img_info(const std::string& json) {
  DiskImageInfo info;
  try {
    const auto j = nlohmann::json::parse(json);
    info.format = j.value("format", "unknown");
    info.external_file = j.value("full-backing-filename", j.value("backing-filename", ""));
    if (info.external_file.empty() && j.contains("format-specific")) {
      const auto& data = j["format-specific"].value("data", nlohmann::json::object());
      info.external_file = data.value("data-file", "");
    }
  } catch (const nlohmann::json::exception&) {
    info.format = "unknown";
  }
  return info;
}

void check_registry_auth(const RegistryAccess& access) {
  const char* from_env = std::getenv("REGISTRY_AUTH_FILE");
  const bool given = !access.authfile.empty();
  if (!given && (from_env == nullptr || *from_env == '\0')) {
    return; // podman's own default, which podman login writes and which may not exist yet
  }
  const std::string option = given ? "--authfile" : "REGISTRY_AUTH_FILE";
  const std::string path = given ? access.authfile : std::string(from_env);
  // Looked at before it is read: opening a device as root can act (a watchdog, a tape) or make a
  // terminal bcvk's own. An O_PATH descriptor opens nothing; what it names is checked and then
  // read through it, so a path swapped in between is never opened. podman reads the file itself.
  const Fd at(::open(path.c_str(), O_PATH | O_CLOEXEC));
  struct stat st {};
  if (!at || ::fstat(at.get(), &st) != 0) {
    throw UsageError(option + ": cannot read " + printable(path) + ": " + std::strerror(errno) +
                     ": write it with 'podman login --authfile " + printable(path) + " REGISTRY'");
  }
  if (!S_ISREG(st.st_mode)) {
    throw UsageError(option + ": " + printable(path) + " is " + kind_name(st.st_mode) +
                     ", not a regular file: name the file 'podman login --authfile FILE REGISTRY' wrote");
  }
  const std::string through = "/proc/self/fd/" + std::to_string(at.get());
  if (const Fd readable(::open(through.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)); !readable) {
    throw UsageError(option + ": cannot read " + printable(path) + ": " + std::strerror(errno));
  }
}

HostInputs resolve_host_inputs(const RunConfig& config, ProcessRunner& runner, ImageStore& store) {
  check_registry_auth(config.registry);
  HostInputs in;
  for (const auto& bind : config.binds) {
    in.binds.push_back(bind_share(bind_option(bind), bind));
  }
  if (config.bind_storage_ro) {
    in.binds.push_back(bind_share("--bind-storage-ro", {store.storage_root(), k_storage_mount_name, true, {}}));
  }
  for (const auto& disk : config.disks) {
    in.disks.push_back(disk_attachment(disk, runner));
  }
  if (!config.systemd_units.empty()) {
    const std::string dir = existing_dir("--systemd-units", config.systemd_units);
    std::error_code ec;
    if (!fs::is_directory(dir + "/system", ec)) {
      throw UsageError("--systemd-units: " + config.systemd_units + " has no system/ subdirectory: put the units in " +
                       config.systemd_units + "/system/");
    }
    refuse_swappable("--systemd-units", config.systemd_units, dir + "/system");
    in.units = read_unit_dir(dir + "/system");
  }
  for (const auto& out : config.serial_outputs) {
    in.serial_outputs.push_back(serial_output(out));
  }
  if (!config.cloud_init.empty()) {
    in.cloud_init_seed = read_cloud_init_seed(config.cloud_init);
  }
  if (!config.ignition.empty()) {
    in.ignition_config = read_ignition_config(config.ignition);
  }
  return in;
}

void recheck_host_inputs(const InstanceRecord& state, ProcessRunner& runner) {
  for (const auto& binds : {state.read_only_binds, state.read_write_binds}) {
    for (const auto& bind : binds) {
      if (!is_valid_name(bind.name, 32)) {
        throw Error("the state of " + state.name + " names an invalid share '" + printable(bind.name) + "'");
      }
      if (!bind.guest_path.empty()) {
        check_guest_mount_path(bind_option(bind), bind.guest_path);
      }
      bind_share(bind_option(bind), bind);
    }
  }
  for (const auto& disk : state.disks) {
    disk_attachment(disk, runner);
  }
  for (const auto& out : state.serial_outputs) {
    serial_output(out);
  }
  for (const auto& port : state.ports) {
    require_free_port(port);
  }
  // QEMU would fail to forward SSH, with an error about the whole command line.
  if (state.ssh_port != 0) {
    try {
      require_free_port({.host_port = state.ssh_port, .guest_port = 22});
    } catch (const UsageError&) {
      throw UsageError("VM " + state.name + ": its SSH port 127.0.0.1:" + std::to_string(state.ssh_port) +
                       " is taken by another program on this host (ss -ltnp shows which): free it and start the VM "
                       "again, or remove it and run a new one");
    }
  }
}

} // namespace bcvk
