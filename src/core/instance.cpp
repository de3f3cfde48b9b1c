#include "bcvk/instance.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bcvk/error.hpp"
#include "bcvk/mounts.hpp"

namespace fs = std::filesystem;

namespace bcvk {
namespace {

// qemu runs as an unprivileged user and must reach the kernel and logs inside the instance
// directory: directories are traversable (x) but not listable by others; secrets get 0700 subdirs.
constexpr mode_t k_dir_mode = 0711;

void make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), k_dir_mode) != 0 && errno != EEXIST) {
    throw Error("cannot create " + path + ": " + std::strerror(errno));
  }
  ::chmod(path.c_str(), k_dir_mode);
}

} // namespace

std::string to_string(Phase phase) {
  switch (phase) {
  case Phase::creating:
    return "creating";
  case Phase::running:
    return "running";
  case Phase::stopped:
    return "stopped";
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
  return Phase::creating;
}

std::string state_to_json(const InstanceState& s) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& l : s.labels) {
    labels[l.key] = l.value;
  }
  nlohmann::json ro_binds = nlohmann::json::array();
  for (const auto& b : s.read_only_binds) {
    ro_binds.push_back({{"name", b.name}, {"host_path", b.host_path}});
  }
  nlohmann::json j{{"name", s.name},
                   {"image", s.image},
                   {"image_id", s.image_id},
                   {"created", s.created},
                   {"uri", s.uri},
                   {"phase", to_string(s.phase)},
                   {"auto_remove", s.auto_remove},
                   {"detached", s.detached},
                   {"image_mounted", s.image_mounted},
                   {"kernel_version", s.kernel_version},
                   {"systemd_version", s.systemd_version},
                   {"memory_bytes", s.memory_bytes},
                   {"vcpus", s.vcpus},
                   {"ssh_port", s.ssh_port},
                   {"labels", labels},
                   {"read_only_binds", ro_binds}};
  return j.dump(2) + "\n";
}

InstanceState state_from_json(const std::string& json) {
  try {
    const auto j = nlohmann::json::parse(json);
    InstanceState s;
    s.name = j.value("name", "");
    s.image = j.value("image", "");
    s.image_id = j.value("image_id", "");
    s.created = j.value("created", "");
    s.uri = j.value("uri", "");
    s.phase = phase_from_string(j.value("phase", "creating"));
    s.auto_remove = j.value("auto_remove", false);
    s.detached = j.value("detached", false);
    s.image_mounted = j.value("image_mounted", false);
    s.kernel_version = j.value("kernel_version", "");
    s.systemd_version = j.value("systemd_version", 0);
    s.memory_bytes = j.value("memory_bytes", std::uint64_t{0});
    s.vcpus = j.value("vcpus", 0U);
    s.ssh_port = j.value("ssh_port", 0U);
    if (j.contains("labels") && j["labels"].is_object()) {
      for (const auto& [k, v] : j["labels"].items()) {
        s.labels.push_back({k, v.get<std::string>()});
      }
    }
    if (j.contains("read_only_binds") && j["read_only_binds"].is_array()) {
      for (const auto& b : j["read_only_binds"]) {
        s.read_only_binds.push_back({b.value("host_path", ""), b.value("name", ""), true});
      }
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("corrupt instance state: ") + e.what());
  }
}

std::string InstanceDir::state_root() {
  const char* env = std::getenv("BCVK_STATE_DIR");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string("/var/lib/bcvk");
}

std::string InstanceDir::instances_root() {
  return state_root() + "/instances";
}

InstanceDir InstanceDir::create(const std::string& name) {
  make_dir(state_root());
  make_dir(instances_root());
  const std::string path = instances_root() + "/" + name;
  if (::mkdir(path.c_str(), k_dir_mode) != 0) {
    if (errno == EEXIST) {
      throw UsageError("--name: a VM named '" + name +
                       "' already exists: pick another name or remove it with 'bcvk ephemeral rm " + name + "'");
    }
    throw Error("cannot create " + path + ": " + std::strerror(errno));
  }
  ::chmod(path.c_str(), k_dir_mode);
  InstanceDir dir(name, path);
  Fd lock(::open(dir.file("lock").c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!lock || ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    throw Error("cannot lock new instance directory " + path + ": " + std::strerror(errno));
  }
  dir.m_lock = std::move(lock);
  return dir;
}

std::optional<InstanceDir> InstanceDir::open(const std::string& name) {
  const std::string path = instances_root() + "/" + name;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    return std::nullopt;
  }
  return InstanceDir(name, path);
}

std::vector<std::string> InstanceDir::list_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(instances_root(), ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory()) {
      names.push_back(it->path().filename().string());
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
  Fd fd(::open(file("lock").c_str(), O_RDWR | O_CLOEXEC));
  if (!fd) {
    return errno == ENOENT ? LockResult::gone : LockResult::busy;
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    return LockResult::busy;
  }
  // The owner may have deleted the instance while we waited for its lock.
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || st.st_nlink == 0) {
    return LockResult::gone;
  }
  m_lock = std::move(fd);
  return LockResult::locked;
}

InstanceDir::LockResult InstanceDir::wait_lock(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    const LockResult result = try_lock();
    if (result != LockResult::busy || std::chrono::steady_clock::now() >= deadline) {
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void InstanceDir::adopt_lock(int fd) {
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  m_lock.reset(fd);
}

InstanceState InstanceDir::load() const {
  return state_from_json(read_text_file(file("state.json")));
}

void InstanceDir::save(const InstanceState& state) const {
  write_file_atomic(file("state.json"), state_to_json(state));
}

void InstanceDir::remove_tree() {
  for (const auto& mount : mounts_below(m_path)) {
    throw Error("refusing to delete " + m_path + ": " + mount + " is still mounted");
  }
  // Everything but the lock first, then the lock: waiters see the instance as gone, never half-removed.
  std::error_code ec;
  for (fs::directory_iterator it(m_path, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename() != "lock") {
      fs::remove_all(it->path(), ec);
      if (ec) {
        throw Error("cannot delete " + it->path().string() + ": " + ec.message());
      }
    }
  }
  ::unlink(file("lock").c_str());
  if (::rmdir(m_path.c_str()) != 0 && errno != ENOENT) {
    throw Error("cannot delete " + m_path + ": " + std::strerror(errno));
  }
  m_lock.reset();
}

void write_file_atomic(const std::string& path, const std::string& data, unsigned mode) {
  const std::string tmp = path + ".tmp";
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd) {
      throw Error("cannot write " + tmp + ": " + std::strerror(errno));
    }
    std::size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        throw Error("cannot write " + tmp + ": " + std::strerror(errno));
      }
      off += static_cast<std::size_t>(n);
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    throw Error("cannot replace " + path + ": " + std::strerror(errno));
  }
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error("cannot read " + path + ": " + std::strerror(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string now_rfc3339() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

} // namespace bcvk
