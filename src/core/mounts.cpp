#include "bcvk/mounts.hpp"

#include <sys/mount.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "bcvk/error.hpp"

namespace bcvk {

void mount_overlay(const std::string& lower, const std::string& upper, const std::string& work,
                   const std::string& target) {
  for (const auto& p : {lower, upper, work}) {
    if (p.find_first_of(",:") != std::string::npos) {
      throw Error("path " + p + " contains ',' or ':', which overlayfs options cannot express");
    }
  }
  const std::string options = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
  if (::mount("overlay", target.c_str(), "overlay", 0, options.c_str()) != 0) {
    throw Error("cannot mount the copy-on-write root at " + target + ": " + std::strerror(errno) +
                (errno == EPERM ? " (bcvk must run as root)" : ""));
  }
}

void bind_mount_read_only(const std::string& source, const std::string& target) {
  if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    throw Error("cannot bind-mount " + source + ": " + std::strerror(errno));
  }
  if (::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
    const int err = errno;
    ::umount2(target.c_str(), MNT_DETACH);
    throw Error("cannot make " + target + " read-only: " + std::strerror(err));
  }
}

void unmount(const std::string& target) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (::umount2(target.c_str(), 0) == 0 || errno == EINVAL || errno == ENOENT) {
      return;
    }
    if (errno != EBUSY) {
      throw Error("cannot unmount " + target + ": " + std::strerror(errno));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  spdlog::warn("{} is still busy after 5 s; detaching it lazily", target);
  if (::umount2(target.c_str(), MNT_DETACH) != 0 && errno != EINVAL) {
    throw Error("cannot unmount " + target + ": " + std::strerror(errno));
  }
}

std::string unescape_mountinfo(const std::string& field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && std::isdigit(static_cast<unsigned char>(field[i + 1])) != 0) {
      out += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

std::vector<std::string> mounts_below(const std::string& dir) {
  std::ifstream in("/proc/self/mountinfo");
  std::vector<std::string> out;
  std::string line;
  const std::string prefix = dir.back() == '/' ? dir : dir + "/";
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    fields >> id >> parent >> devno >> root >> mount_point;
    mount_point = unescape_mountinfo(mount_point);
    if (mount_point == dir || mount_point.rfind(prefix, 0) == 0) {
      out.push_back(mount_point);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.size() != b.size() ? a.size() > b.size() : a < b; });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool is_mountpoint(const std::string& path) {
  const auto below = mounts_below(path);
  return std::find(below.begin(), below.end(), path) != below.end();
}

} // namespace bcvk
