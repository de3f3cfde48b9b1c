#pragma once
// Which processes on this host use files in a directory: the last word on whether a VM whose
// libvirt is gone for good may still be running from an instance's storage.
#include <sys/types.h>

#include <string>
#include <vector>

namespace bcvk {

struct PathUser {
  pid_t pid = 0;
  std::string command; // /proc/PID/comm
  std::string path;    // the open file, working directory or root directory found below the directory
};

// Processes other than this one with an open file, a working directory or a root directory at or below `dir` (an
// absolute, canonical path). virtiofsd keeps the shared directory open and QEMU its disks, so a VM
// running from an instance shows up here whether or not its libvirt answers. Processes that vanish
// while being looked at are skipped; QEMU, virtiofsd or virtlogd processes this process may not
// look into count as users (other processes there, such as a container's init, cannot be a VM).
std::vector<PathUser> processes_using(const std::string& dir);

} // namespace bcvk
