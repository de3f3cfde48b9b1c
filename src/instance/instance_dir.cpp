#include "bcvk/instance/instance_dir.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/run_options.hpp"
#include "bcvk/host/mounts.hpp"
#include "bcvk/util/rooted_fs.hpp"
#include "bcvk/host/state_dir.hpp"
#include "bcvk/util/fault_point.hpp"
#include "bcvk/util/files.hpp"

namespace fs = std::filesystem;

namespace bcvk {
namespace {} // namespace

std::string to_string(Phase phase) {
  switch (phase) {
  case Phase::creating:
    return "creating";
  case Phase::running:
    return "running";
  case Phase::stopped:
    return "stopped";
  case Phase::removing:
    return "removing";
  }
  return "unknown";
}

Phase phase_from_string(const std::string& text) {
  if (text == "running") {
    return Phase::running;
  }
  if (text == "stopped") {
    return Phase::stopped;
  }
  if (text == "removing") {
    return Phase::removing;
  }
  return Phase::creating;
}

std::string state_to_json(const InstanceState& s) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& l : s.labels) {
    labels[l.key] = l.value;
  }
  nlohmann::json ports = nlohmann::json::array();
  for (const auto& p : s.ports) {
    ports.push_back(to_string(p));
  }
  const auto binds_json = [](const std::vector<BindSpec>& binds) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& b : binds) {
      out.push_back({{"name", b.name}, {"host_path", b.host_path}, {"guest_path", b.guest_path}});
    }
    return out;
  };
  nlohmann::json disks = nlohmann::json::array();
  for (const auto& d : s.disks) {
    disks.push_back({{"name", d.name}, {"path", d.path}, {"format", d.format}});
  }
  nlohmann::json serial_outputs = nlohmann::json::array();
  for (const auto& o : s.serial_outputs) {
    serial_outputs.push_back({{"name", o.name}, {"path", o.path}});
  }
  nlohmann::json j{{"name", s.name},
                   {"image", s.image},
                   {"image_id", s.image_id},
                   {"image_digest", s.image_digest},
                   {"image_repo_digest", s.image_repo_digest},
                   {"arch", s.arch},
                   {"created", s.created},
                   {"uri", s.uri},
                   {"domain_uuid", s.domain_uuid},
                   {"phase", to_string(s.phase)},
                   {"auto_remove", s.auto_remove},
                   {"detached", s.detached},
                   {"image_mounted", s.image_mounted},
                   {"started", s.started},
                   {"kernel_version", s.kernel_version},
                   {"systemd_version", s.systemd_version},
                   {"memory_bytes", s.memory_bytes},
                   {"vcpus", s.vcpus},
                   {"root_size_bytes", s.root_size_bytes},
                   {"initramfs", to_string(s.initramfs)},
                   {"ssh_port", s.ssh_port},
                   {"ports", ports},
                   {"labels", labels},
                   {"read_only_binds", binds_json(s.read_only_binds)},
                   {"read_write_binds", binds_json(s.read_write_binds)},
                   {"disks", disks},
                   {"serial_outputs", serial_outputs}};
  if (s.placed_paths) {
    j["placed_paths"] = *s.placed_paths;
  }
  return j.dump(2) + "\n";
}

namespace {

// A whole number no larger than `max`, or 0 when absent: nlohmann converts a float or a negative
// number to an unsigned type without a word (undefined behaviour for out-of-range values).
std::uint64_t whole_number(const nlohmann::json& j, const char* key, std::uint64_t max) {
  if (!j.contains(key)) {
    return 0;
  }
  const auto& value = j[key];
  if (!value.is_number_unsigned() || value.get<std::uint64_t>() > max) {
    throw Error(std::string("corrupt instance state: '") + key + "' is not a whole number up to " +
                std::to_string(max));
  }
  return value.get<std::uint64_t>();
}

} // namespace

InstanceState state_from_json(const std::string& json) {
  try {
    const auto j = nlohmann::json::parse(json);
    InstanceState s;
    s.name = j.value("name", "");
    s.image = j.value("image", "");
    s.image_id = j.value("image_id", "");
    s.image_digest = j.value("image_digest", "");
    s.image_repo_digest = j.value("image_repo_digest", "");
    s.arch = j.value("arch", "");
    s.created = j.value("created", "");
    s.uri = j.value("uri", "");
    s.domain_uuid = j.value("domain_uuid", "");
    if (!s.domain_uuid.empty() && !is_uuid(s.domain_uuid)) {
      throw Error("corrupt instance state: 'domain_uuid' is not a UUID");
    }
    s.phase = phase_from_string(j.value("phase", "creating"));
    s.auto_remove = j.value("auto_remove", false);
    s.detached = j.value("detached", false);
    s.image_mounted = j.value("image_mounted", false);
    s.started = j.value("started", "");
    s.kernel_version = j.value("kernel_version", "");
    s.systemd_version = static_cast<int>(whole_number(j, "systemd_version", 1000000));
    s.memory_bytes = whole_number(j, "memory_bytes", std::numeric_limits<std::uint64_t>::max());
    s.vcpus = static_cast<unsigned>(whole_number(j, "vcpus", 4096));
    s.root_size_bytes = whole_number(j, "root_size_bytes", k_max_root_size);
    s.initramfs = recorded_initramfs_choice(j.value("initramfs", ""));
    s.ssh_port = static_cast<unsigned>(whole_number(j, "ssh_port", 65535));
    if (j.contains("labels") && j["labels"].is_object()) {
      for (const auto& [k, v] : j["labels"].items()) {
        s.labels.push_back({k, v.get<std::string>()});
      }
    }
    const auto array = [&j](const char* key) {
      return j.contains(key) && j[key].is_array() ? j[key] : nlohmann::json::array();
    };
    for (const auto& p : array("ports")) {
      s.ports.push_back(parse_port(p.get<std::string>()));
    }
    for (const auto& b : array("read_only_binds")) {
      s.read_only_binds.push_back({b.value("host_path", ""), b.value("name", ""), true, b.value("guest_path", "")});
    }
    for (const auto& b : array("read_write_binds")) {
      s.read_write_binds.push_back({b.value("host_path", ""), b.value("name", ""), false, b.value("guest_path", "")});
    }
    for (const auto& d : array("disks")) {
      s.disks.push_back({d.value("path", ""), d.value("name", ""), d.value("format", "")});
    }
    for (const auto& o : array("serial_outputs")) {
      s.serial_outputs.push_back({o.value("name", ""), o.value("path", "")});
    }
    if (j.contains("placed_paths")) {
      s.placed_paths = j["placed_paths"].get<std::vector<std::string>>();
      for (const auto& path : *s.placed_paths) {
        if (path.empty() || path != tree_relative(path) || path == ".." || path.starts_with("../") ||
            path.find("/../") != std::string::npos || path.ends_with("/..")) {
          throw Error("corrupt instance state: 'placed_paths' holds '" + path + "', not a path inside the guest");
        }
      }
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("corrupt instance state: ") + e.what());
  } catch (const UsageError& e) {
    throw Error(std::string("corrupt instance state: ") + e.what());
  }
}

namespace {

// A name in instances/ that is never a VM's (VM names start with a letter or digit), unique to
// this process and call: where an instance is made before it appears, and where it goes to be
// deleted once it is gone.
std::string transient_entry(const std::string& purpose, const VmName& name) {
  static unsigned counter = 0;
  return instances_root() + "/." + purpose + "-" + name.str() + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(++counter);
}

constexpr const char* k_creating = "creating";
constexpr const char* k_removing = "removing";

} // namespace

InstanceDir InstanceDir::create(const VmName& name) {
  ensure_state_root();
  make_private_dir(instances_root(), k_state_dir_mode);
  check_state_dir(instances_root());
  const std::string path = instances_root() + "/" + name.str();
  // Made aside with its lock held, then moved into place in one step: an instance directory is
  // never seen (or left by a kill) without its lock.
  const std::string aside = transient_entry(k_creating, name);
  // Root's alone until QEMU's user is let through (open_to_hypervisor), never anyone else's.
  if (::mkdir(aside.c_str(), 0700) != 0) {
    throw Error("cannot create " + aside + ": " + std::strerror(errno));
  }
  ::chmod(aside.c_str(), 0700);
  Fd lock(::open((aside + "/lock").c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!lock || ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    const int saved = errno;
    remove_tree_nofollow(aside);
    throw Error("cannot lock new instance directory " + aside + ": " + std::strerror(saved));
  }
  if (::renameat2(AT_FDCWD, aside.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    const int saved = errno;
    remove_tree_nofollow(aside);
    if (saved == EEXIST || saved == ENOTEMPTY) {
      throw vm_exists_error(name);
    }
    throw Error("cannot create " + path + ": " + std::strerror(saved));
  }
  InstanceDir dir(name, path);
  dir.m_lock = std::move(lock);
  return dir;
}

std::string InstanceDir::path_of(const VmName& name) {
  return instances_root() + "/" + name.str();
}

std::optional<InstanceDir> InstanceDir::open(const VmName& name) {
  const std::string path = path_of(name);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return std::nullopt;
  }
  return InstanceDir(name, path);
}

void InstanceDir::mark_released() const {
  create_empty_file(released_marker(), 0600);
}

void InstanceDir::clear_released() const {
  if (::unlink(released_marker().c_str()) != 0 && errno != ENOENT) {
    throw Error("cannot remove " + released_marker() + ": " + std::strerror(errno));
  }
}

bool InstanceDir::is_marked_released(const VmName& name) {
  return exists_nofollow(InstanceLayout(path_of(name)).released_marker());
}

InstanceDir InstanceDir::open_existing(const VmName& name) {
  auto dir = open(name);
  if (!dir) {
    throw Error("no ephemeral VM named '" + name.str() + "' (see 'bcvk ephemeral ps -a')");
  }
  return std::move(*dir);
}

std::vector<VmName> InstanceDir::list_names() {
  std::vector<VmName> names;
  std::error_code ec;
  for (fs::directory_iterator it(instances_root(), ec), end; !ec && it != end; it.increment(ec)) {
    auto name = VmName::try_parse(it->path().filename().string());
    std::error_code type_ec;
    if (name && it->symlink_status(type_ec).type() == fs::file_type::directory) {
      names.push_back(std::move(*name));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

InstanceDir::LockResult InstanceDir::try_lock() {
  if (m_lock) {
    return LockResult::locked;
  }
  // Never created here: only create() makes the lock file, so a removed instance stays removed.
  Fd fd(::open(file("lock").c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno != ENOENT) {
      return LockResult::busy;
    }
    // No lock: the directory was renamed away meanwhile, or is the empty husk an older bcvk left
    // when killed while deleting it (never a VM's: this one makes its lock before the name appears).
    ::rmdir(path().c_str());
    return LockResult::gone;
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    return LockResult::busy;
  }
  // The owner may have removed the instance while we waited for its lock: then the file we hold is
  // no longer the lock at the instance's path (deleted, or moved away with its directory).
  struct stat held {};
  struct stat named {};
  if (::fstat(fd.get(), &held) != 0 || held.st_nlink == 0 || ::lstat(file("lock").c_str(), &named) != 0 ||
      held.st_dev != named.st_dev || held.st_ino != named.st_ino) {
    return LockResult::gone;
  }
  m_lock = std::move(fd);
  return LockResult::locked;
}

InstanceDir::LockResult InstanceDir::wait_lock(int timeout_ms, SignalCatcher* signals) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    const LockResult result = try_lock();
    if (result != LockResult::busy || std::chrono::steady_clock::now() >= deadline) {
      return result;
    }
    if (signals != nullptr) {
      signals->sleep_for(std::chrono::milliseconds(50)); // Ctrl-C ends the wait
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

void InstanceDir::adopt_lock(const std::string& fd_text) {
  // Whoever started this process says which descriptor it is: it must be this instance's lock,
  // held by the description we inherited, or this process would act as an owner it is not.
  const bool number =
      !fd_text.empty() && fd_text.size() <= 9 && fd_text.find_first_not_of("0123456789") == std::string::npos;
  const int fd = number ? std::stoi(fd_text) : -1;
  struct stat held {};
  struct stat named {};
  if (fd < 3 || ::fstat(fd, &held) != 0 || ::lstat(file("lock").c_str(), &named) != 0 || held.st_dev != named.st_dev ||
      held.st_ino != named.st_ino || ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    throw Error("BCVK_LOCK_FD=" + printable(fd_text) + " is not the held lock of VM " + name() +
                ": 'bcvk ephemeral supervise' is started by bcvk itself, with the lock it holds");
  }
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  m_lock.reset(fd);
}

void InstanceDir::migrate_layout() const {
  struct stat st {};
  if (::lstat(file("upper").c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return;
  }
  make_private_dir(overlay_dir(), 0700);
  // Part by part, each only where the new one is missing: an interrupted move resumes here.
  for (const char* part : {"upper", "work", "root"}) {
    const std::string to = overlay_dir() + "/" + part;
    if (::lstat(to.c_str(), &st) != 0 && ::rename(file(part).c_str(), to.c_str()) != 0 && errno != ENOENT) {
      throw Error("cannot move " + file(part) + " into " + overlay_dir() + ": " + std::strerror(errno));
    }
  }
  // The saved domain shares the root from where it was.
  std::string xml;
  try {
    xml = read_text_file(domain_xml_file());
  } catch (const Error&) {
    return; // never got as far as saving its domain
  }
  for (const char quote : {'\'', '"'}) {
    const std::string from = quote + file("root") + quote;
    const std::string to = quote + root_dir() + quote;
    for (auto at = xml.find(from); at != std::string::npos; at = xml.find(from, at + to.size())) {
      xml.replace(at, from.size(), to);
    }
  }
  write_file_atomic(domain_xml_file(), xml);
}

UsageError vm_exists_error(const VmName& name) {
  return UsageError("--name: a VM named '" + name.str() +
                    "' already exists: pick another name or remove it with 'bcvk ephemeral rm " + name.str() + "'");
}

InstanceState InstanceDir::load() const {
  return state_from_json(read_text_file(file("state.json")));
}

std::optional<InstanceState> InstanceDir::load_if_written() const {
  struct stat st {};
  if (::lstat(file("state.json").c_str(), &st) != 0 && errno == ENOENT) {
    return std::nullopt;
  }
  return load();
}

void InstanceDir::save(const InstanceState& state) const {
  write_file_atomic(file("state.json"), state_to_json(state));
}

void InstanceDir::remove_tree() {
  for (const auto& mount : mounts_below(path())) {
    throw Error("refusing to delete " + path() + ": " + mount + " is still mounted");
  }
  // Everything but the lock first, in place: whoever finds the name finds the lock to wait for.
  // The overlay holds what the guest wrote: no link in it is ever followed. A listing cut short
  // must not pass for a complete one: the name would go with the guest's data still behind it.
  std::error_code ec;
  std::vector<std::string> entries;
  for (fs::directory_iterator it(path(), ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename() != "lock") {
      entries.push_back(it->path().string());
    }
  }
  if (ec) {
    throw Error("cannot list " + path() + " to delete it: " + ec.message());
  }
  for (const auto& entry : entries) {
    remove_tree_nofollow(entry);
  }
  // Then the name goes in one step, so "no instance directory" means nothing of it is left; what
  // remains aside (an empty directory and the lock) goes right after, or with the next sweep.
  const std::string aside = transient_entry(k_removing, m_name);
  if (::renameat2(AT_FDCWD, path().c_str(), AT_FDCWD, aside.c_str(), RENAME_NOREPLACE) != 0) {
    throw Error("cannot delete " + path() + ": " + std::strerror(errno));
  }
  fault_point("release-renamed");
  // The instance is gone: what is left aside is the next sweep's, never a failure of this removal.
  ::unlink((aside + "/lock").c_str());
  if (::rmdir(aside.c_str()) != 0 && errno != ENOENT) {
    spdlog::warn("cannot delete {}: {}; the next bcvk command retries", aside, std::strerror(errno));
  }
  m_lock.reset();
}

namespace {

// The maker of a transient entry, from its name (".PURPOSE-NAME-PID-N"): while that process lives,
// the entry is its work in progress, even before it has made or locked the lock file.
bool maker_alive(const std::string& entry) {
  const auto last = entry.rfind('-');
  const auto before = last == std::string::npos || last == 0 ? std::string::npos : entry.rfind('-', last - 1);
  if (before == std::string::npos) {
    return false;
  }
  const std::string pid_text = entry.substr(before + 1, last - before - 1);
  if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos || pid_text.size() > 9) {
    return false;
  }
  const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
  return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

} // namespace

void InstanceDir::sweep_transient_entries() {
  const Fd root(::open(instances_root().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) {
    return;
  }
  std::vector<std::string> entries;
  try {
    entries = list_dir_fd(root.get(), instances_root());
  } catch (const std::exception& e) {
    spdlog::warn("cannot look for what interrupted bcvk commands left in {}: {}", instances_root(), e.what());
    return; // never in the way of the command that swept
  }
  for (const auto& entry : entries) {
    if (!entry.starts_with(std::string(".") + k_creating + "-") &&
        !entry.starts_with(std::string(".") + k_removing + "-")) {
      continue;
    }
    // Left by a killed process only when its maker is gone and its lock is free; nothing in it is
    // mounted or in use then: it was never an instance, or no longer is.
    const std::string path = instances_root() + "/" + entry;
    try {
      if (maker_alive(entry)) {
        continue;
      }
      const Fd lock(::open((path + "/lock").c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC));
      if ((lock && ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) || !mounts_below(path).empty()) {
        continue; // someone works on it after all, or it holds a mount: never deleted through one
      }
      remove_tree_nofollow(path);
    } catch (const std::exception& e) {
      // Never in the way of the command that swept: the next one tries again.
      spdlog::warn("cannot delete {}, left by an interrupted bcvk: {}", path, e.what());
    }
  }
}

} // namespace bcvk
