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

// Processes other than this one with an open file, a working directory or a root directory at or
// below `dir`, or with a mount namespace of their own that holds a file system mounted here only
// at or below `dir` (the root overlay). virtiofsd keeps the shared directory open from inside its
// sandbox and QEMU its disks and logs, so a VM running from an instance shows up here whether or
// not its libvirt answers. Processes that vanish while being looked at are skipped; a link that
// cannot be read counts as a use, and so does a QEMU, virtiofsd or virtlogd process this process
// may not look into at all (other such processes, e.g. another container's init, cannot be a VM).
std::vector<PathUser> processes_using(const std::string& dir);

} // namespace bcvk
