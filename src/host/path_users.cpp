#include "bcvk/host/path_users.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "bcvk/host/mounts.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/util/handle.hpp"

namespace bcvk {
namespace {

bool vanished(int err) {
  return err == ENOENT || err == ESRCH;
}

// The target of a /proc link; `unknown` when it exists but cannot be read (no permission, a path
// longer than the kernel prints): the caller counts that as a use rather than guess.
enum class LinkRead { ok, gone, unknown };

LinkRead read_link(const std::string& path, std::string& target) {
  char buf[4096];
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) {
    return vanished(errno) ? LinkRead::gone : LinkRead::unknown;
  }
  // A truncated target keeps its leading part, which is all a comparison with `dir` looks at.
  target.assign(buf, static_cast<std::size_t>(n));
  // An unlinked file keeps its old name with this suffix; it still counts as a use of the directory.
  constexpr std::string_view deleted = " (deleted)";
  if (target.ends_with(deleted)) {
    target.resize(target.size() - deleted.size());
  }
  return LinkRead::ok;
}

std::string command_of(const std::string& proc_pid) {
  std::ifstream in(proc_pid + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm.empty() ? "?" : comm;
}

// A process bcvk may not look into at all (in this host's view, one of another container's) counts
// as a user only when it is one that runs a VM's storage: libvirt starts QEMU, virtiofsd and
// virtlogd as processes root can always inspect, so anything else there cannot be holding it.
bool may_run_a_vm(const std::string& command) {
  return command.starts_with("qemu") || command.starts_with("virtiofsd") || command == "virtlogd";
}

struct Scan {
  std::string dir;
  std::set<std::string> devices; // file systems mounted only at or below `dir` (the root overlay)
  ino_t own_mount_ns = 0;
};

// The devices of mounts at or below `dir` that are mounted nowhere else here: another mount
// namespace holding one of them holds this instance's tree, wherever it shows it.
std::set<std::string> devices_only_below(const std::string& dir) {
  std::set<std::string> below, elsewhere;
  for (const auto& mount : read_mountinfo("/proc/self/mountinfo")) {
    (is_at_or_below(mount.mount_point, dir) ? below : elsewhere).insert(mount.device);
  }
  std::set<std::string> out;
  std::set_difference(below.begin(), below.end(), elsewhere.begin(), elsewhere.end(), std::inserter(out, out.end()));
  return out;
}

ino_t mount_ns_of(const std::string& proc_pid) {
  struct stat st {};
  return ::stat((proc_pid + "/ns/mnt").c_str(), &st) == 0 ? st.st_ino : 0;
}

// How the process uses the scanned tree ("" when it does not): a root, working directory or open
// file at or below the directory, or a mount namespace of its own that holds the tree's mounts
// (virtiofsd pivots into the shared directory, so its links read "/..." there).
std::string use_of(const std::string& proc_pid, const Scan& scan, const std::string& command) {
  const std::string unreadable = may_run_a_vm(command) ? proc_pid + " (not readable)" : "";
  std::string target;
  for (const char* link : {"/root", "/cwd"}) {
    const LinkRead r = read_link(proc_pid + link, target);
    if (r == LinkRead::unknown) {
      return unreadable;
    }
    if (r == LinkRead::ok && is_at_or_below(target, scan.dir)) {
      return target;
    }
  }
  const std::string fd_dir = proc_pid + "/fd";
  const Handle<DIR, ::closedir> fds(::opendir(fd_dir.c_str()));
  if (!fds.get()) {
    return vanished(errno) ? "" : unreadable;
  }
  while (const dirent* entry = ::readdir(fds.get())) {
    if (entry->d_name[0] == '.') {
      continue;
    }
    const std::string fd = fd_dir + "/" + entry->d_name;
    const LinkRead r = read_link(fd, target);
    if (r == LinkRead::unknown) {
      return fd + " (not readable)";
    }
    if (r == LinkRead::ok && is_at_or_below(target, scan.dir)) {
      return target;
    }
  }
  if (!scan.devices.empty()) {
    const ino_t ns = mount_ns_of(proc_pid);
    if (ns != 0 && ns != scan.own_mount_ns) {
      for (const auto& mount : read_mountinfo(proc_pid + "/mountinfo")) {
        if (scan.devices.count(mount.device) != 0) {
          return "the instance's mount (device " + mount.device + ") at " + mount.mount_point +
                 " in its own mount namespace";
        }
      }
    }
  }
  return "";
}

} // namespace

std::vector<PathUser> processes_using(const std::string& dir) {
  std::error_code ec;
  const auto canonical = std::filesystem::canonical(dir, ec);
  Scan scan{ec ? dir : canonical.string(), {}, mount_ns_of("/proc/self")};
  scan.devices = devices_only_below(scan.dir);
  std::vector<PathUser> users;
  const Handle<DIR, ::closedir> proc(::opendir("/proc"));
  if (!proc.get()) {
    return {{0, "?", "/proc (not readable)"}};
  }
  while (const dirent* entry = ::readdir(proc.get())) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (pid <= 0 || *end != '\0' || pid == ::getpid()) { // bcvk itself holds the instance's lock
      continue;
    }
    const std::string proc_pid = std::string("/proc/") + entry->d_name;
    std::string command = command_of(proc_pid);
    if (std::string path = use_of(proc_pid, scan, command); !path.empty()) {
      users.push_back({static_cast<pid_t>(pid), std::move(command), std::move(path)});
    }
  }
  return users;
}

} // namespace bcvk
