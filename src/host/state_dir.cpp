#include "bcvk/host/state_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <iterator>
#include <optional>
#include <vector>

#include "bcvk/util/error.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/util/handle.hpp"
#include "bcvk/util/rooted_fs.hpp"
#include "bcvk/vm/names.hpp"

namespace fs = std::filesystem;

namespace bcvk {
namespace {

std::string state_dir_problem(const struct stat& st) {
  if (!S_ISDIR(st.st_mode)) {
    return "is not a directory";
  }
  if (st.st_uid != ::geteuid()) {
    return "belongs to another user";
  }
  if ((st.st_mode & 022) != 0) {
    return "is writable by other users";
  }
  return "";
}

} // namespace

// A directory only we can write: anything else could let another user plant links where bcvk,
// as root, creates and deletes files.
void check_state_dir(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw Error("cannot examine state directory " + path + ": " + std::strerror(errno));
  }
  const std::string fix = ": use a directory only root can write, e.g. the default /var/lib/bcvk";
  if (const std::string problem = state_dir_problem(st); !problem.empty()) {
    throw UsageError("BCVK_STATE_DIR: " + path + " " + problem + fix);
  }
  if (const std::string risk = path_swap_risk(path); !risk.empty()) {
    throw UsageError("BCVK_STATE_DIR: " + risk + ", who could swap " + path + " for a link" + fix);
  }
}

namespace {

// Directories already found safe in this process, by the path asked for. What makes one unsafe
// (its owner, its mode, those of its parents) only their owners can change, and those are root
// (or bcvk's own user) once the check passed; so one check per process is enough, where commands
// touching a thousand instances would otherwise repeat it for each of them.
class CheckedDirs {
public:
  std::optional<std::string> find(const std::string& asked) {
    const std::lock_guard lock(m_mutex);
    const auto it = m_checked.find(asked);
    return it == m_checked.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  void add(const std::string& asked, const std::string& checked) {
    const std::lock_guard lock(m_mutex);
    m_checked[asked] = checked;
  }

private:
  std::mutex m_mutex;
  std::map<std::string, std::string> m_checked;
};

CheckedDirs& checked_dirs() {
  static CheckedDirs dirs;
  return dirs;
}

} // namespace

std::string state_root() {
  const char* env = std::getenv("BCVK_STATE_DIR");
  const std::string asked = env != nullptr && *env != '\0' ? std::string(env) : std::string("/var/lib/bcvk");
  std::string path = asked;
  if (auto checked = checked_dirs().find(asked)) {
    return *checked;
  }
  while (path.size() > 1 && path.back() == '/') {
    path.pop_back();
  }
  check_plain_text("BCVK_STATE_DIR", "path", path);
  if (path.front() != '/') {
    throw UsageError("BCVK_STATE_DIR: '" + path + "' is not an absolute path: give one starting with '/'");
  }
  // A "." or ".." step would have bcvk make (and set the mode of) directories other than the ones
  // the path seems to name.
  for (std::size_t at = 0; at != std::string::npos;) {
    const std::size_t next = path.find('/', at + 1);
    const std::string step = path.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1);
    if (step == "." || step == ".." || (step.empty() && next != std::string::npos)) {
      throw UsageError("BCVK_STATE_DIR: '" + path +
                       "' is not a normalised path (no '.', '..' or '//'): give it plainly");
    }
    at = next;
  }
  if (!exists_nofollow(path)) {
    return path;
  }
  // Canonical, so that mount points found in /proc/self/mountinfo match the paths built here.
  std::error_code ec;
  const std::string canonical = fs::canonical(path, ec).string();
  if (ec) {
    throw UsageError("BCVK_STATE_DIR: cannot resolve " + path + ": " + ec.message());
  }
  check_state_dir(canonical);
  checked_dirs().add(asked, canonical);
  return canonical;
}

namespace {

// Makes the state root and whatever of its parents is missing. Nothing is made when another user
// could swap a directory on the way; each new directory is made relative to its parent's
// descriptor, never through a link, and gets its mode whatever the umask: 0755 for the parents,
// which QEMU's user must pass through to the boot files.
void create_state_root(const std::string& root) {
  fs::path existing = fs::path(root).parent_path();
  std::vector<std::string> missing{fs::path(root).filename().string()};
  while (!exists_nofollow(existing.string())) {
    missing.push_back(existing.filename().string());
    existing = existing.parent_path();
  }
  std::error_code ec;
  const std::string base = fs::canonical(existing, ec).string();
  if (ec) {
    throw UsageError("BCVK_STATE_DIR: cannot resolve " + existing.string() + ": " + ec.message());
  }
  const std::string first = (fs::path(base) / missing.back()).string();
  const std::string fix = ": use a directory only root can write, e.g. the default /var/lib/bcvk";
  if (const std::string risk = path_swap_risk(first); !risk.empty()) {
    throw UsageError("BCVK_STATE_DIR: " + risk + ", who could swap " + root + " for a link" + fix);
  }
  Fd dir(::open(base.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  std::string shown = base;
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    const unsigned mode = std::next(it) == missing.rend() ? k_state_dir_mode : 0755;
    shown += (shown == "/" ? "" : "/") + *it;
    if (!dir) {
      throw Error("cannot open the directory above " + shown + ": " + std::strerror(errno));
    }
    // Made by another process meanwhile (EEXIST): used only if it passes as root's below, and its
    // mode is left as that process set it.
    const bool made = ::mkdirat(dir.get(), it->c_str(), mode) == 0;
    if (!made && errno != EEXIST) {
      throw Error("cannot create " + shown + ": " + std::strerror(errno));
    }
    Fd next(::openat(dir.get(), it->c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!next || ::fstat(next.get(), &st) != 0 || st.st_uid != ::geteuid()) {
      throw UsageError("BCVK_STATE_DIR: " + shown + " is not a directory bcvk made (another user's, or a link)" + fix);
    }
    if (made && ::fchmod(next.get(), mode) != 0) {
      throw Error("cannot set the mode of " + shown + ": " + std::strerror(errno));
    }
    dir = std::move(next);
  }
}

} // namespace

std::string ensure_state_root() {
  const std::string root = state_root();
  if (!exists_nofollow(root)) {
    create_state_root(root);
  }
  return state_root();
}

std::string instances_root() {
  const std::string path = state_root() + "/instances";
  if (checked_dirs().find(path)) {
    return path;
  }
  if (exists_nofollow(path)) {
    check_state_dir(path);
    checked_dirs().add(path, path);
  }
  return path;
}

} // namespace bcvk
