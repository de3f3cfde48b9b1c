#pragma once
// Scenarios that mount file systems (needs root, no VM), each in a child process with a private
// mount namespace of its own: the "host" mounts a scenario attacks or makes are its own, and
// nothing of the real host is ever at risk.
#include <gtest/gtest.h>

#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>

#include "bcvk/host/mounts.hpp"
#include "bcvk/util/error.hpp"

namespace bcvk::test_support {

namespace fs = std::filesystem;

inline bool is_mount_point(const fs::path& path) {
  const auto below = mounts_below(path.string());
  return std::find(below.begin(), below.end(), path.string()) != below.end();
}

inline void mount_tmpfs(const fs::path& at, const std::string& size = "1m") {
  fs::create_directories(at);
  if (::mount("tmpfs", at.c_str(), "tmpfs", 0, ("size=" + size).c_str()) != 0) {
    throw Error("cannot mount a tmpfs at " + at.string() + ": " + std::strerror(errno));
  }
}

// Runs `scenario` in a child with a private mount namespace, on a tmpfs of its own; the child's
// failures (one line each on stderr) fail the test.
inline void in_private_mount_namespace(const std::function<bool(const fs::path&)>& scenario) {
  ASSERT_EQ(::geteuid(), 0U) << "these tests mount file systems: run them as root";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0) << std::strerror(errno);
  if (child == 0) {
    bool passed = false;
    try {
      if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        throw Error(std::string("cannot make a private mount namespace: ") + std::strerror(errno));
      }
      const fs::path base = fs::temp_directory_path() / ("bcvk-release-" + std::to_string(::getpid()));
      mount_tmpfs(base, "512m"); // room for a file system image; only what is written takes memory
      passed = scenario(base);
    } catch (const std::exception& e) {
      std::cerr << "scenario failed: " << e.what() << "\n";
    }
    std::cerr.flush();
    ::_exit(passed ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  std::error_code ignored; // the empty mount point the child's tmpfs covered
  fs::remove(fs::temp_directory_path() / ("bcvk-release-" + std::to_string(child)), ignored);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the scenario's checks failed (see above)";
}

inline bool check(bool ok, const std::string& what) {
  if (!ok) {
    std::cerr << "FAILED: " << what << "\n";
  }
  return ok;
}

} // namespace bcvk::test_support
