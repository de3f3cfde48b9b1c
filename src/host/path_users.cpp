#include "bcvk/host/path_users.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

#include "bcvk/util/files.hpp"
#include "bcvk/util/handle.hpp"

namespace bcvk {
namespace {

enum class LinkRead { ok, gone, denied };

LinkRead read_link(const std::string& path, std::string& target) {
  char buf[4096];
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
  if (n < 0) {
    return errno == EACCES || errno == EPERM ? LinkRead::denied : LinkRead::gone;
  }
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

// A process bcvk may not look into (another user namespace, an LSM) counts as a user when it is
// one that runs a VM's storage; anything else there (a container's init) cannot be holding it.
bool may_run_a_vm(const std::string& command) {
  return command.starts_with("qemu") || command.starts_with("virtiofsd") || command == "virtlogd";
}

// The first of the process's links (root, cwd, fds) that leads at or below `dir`, or "".
std::string use_of(const std::string& proc_pid, const std::string& dir, const std::string& command) {
  const std::string unreadable = may_run_a_vm(command) ? proc_pid + " (not readable)" : "";
  std::string target;
  for (const char* link : {"/root", "/cwd"}) {
    const LinkRead r = read_link(proc_pid + link, target);
    if (r == LinkRead::denied) {
      return unreadable;
    }
    if (r == LinkRead::ok && is_at_or_below(target, dir)) {
      return target;
    }
  }
  const std::string fd_dir = proc_pid + "/fd";
  const Handle<DIR, ::closedir> fds(::opendir(fd_dir.c_str()));
  if (!fds.get()) {
    return errno == EACCES || errno == EPERM ? unreadable : "";
  }
  while (const dirent* entry = ::readdir(fds.get())) {
    if (entry->d_name[0] == '.') {
      continue;
    }
    if (read_link(fd_dir + "/" + entry->d_name, target) == LinkRead::ok && is_at_or_below(target, dir)) {
      return target;
    }
  }
  return "";
}

} // namespace

std::vector<PathUser> processes_using(const std::string& dir) {
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
    if (std::string path = use_of(proc_pid, dir, command); !path.empty()) {
      users.push_back({static_cast<pid_t>(pid), std::move(command), std::move(path)});
    }
  }
  return users;
}

} // namespace bcvk
