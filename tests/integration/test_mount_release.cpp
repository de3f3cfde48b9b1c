// Releasing an instance's mounts by what was mounted, never by what a path names later (needs root,
// no VM). Each case runs in a child process with a private mount namespace of its own, so the
// "host" mounts it attacks are its own tmpfs mounts and nothing of the real host is ever at risk.
#include <gtest/gtest.h>

#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>

#include "bcvk/host/mounts.hpp"
#include "bcvk/util/error.hpp"

using namespace bcvk;
namespace fs = std::filesystem;

namespace {

bool is_mount_point(const fs::path& path) {
  const auto below = mounts_below(path.string());
  return std::find(below.begin(), below.end(), path.string()) != below.end();
}

void mount_tmpfs(const fs::path& at) {
  fs::create_directories(at);
  if (::mount("tmpfs", at.c_str(), "tmpfs", 0, "size=1m") != 0) {
    throw Error("cannot mount a tmpfs at " + at.string() + ": " + std::strerror(errno));
  }
}

// Runs `scenario` in a child with a private mount namespace, on a tmpfs of its own; the child's
// failures (one line each on stderr) fail the test.
void in_private_mount_namespace(const std::function<bool(const fs::path&)>& scenario) {
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
      mount_tmpfs(base);
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

bool check(bool ok, const std::string& what) {
  if (!ok) {
    std::cerr << "FAILED: " << what << "\n";
  }
  return ok;
}

// --ro-bind of a shared directory in which a local user owns a directory with a mount of theirs
// below it: the view carries a copy of that mount at a path the user controls. Between the moment
// release lists the mounts and the moment it unmounts them, the user swaps their directory for a
// link to a victim mount (the host's /boot/efi in the attack). Acting on the listed path would
// unmount the victim; release acts on the mount it made, and the victim survives.
TEST(MountRelease, AViewWhoseDirectoryIsSwappedForALinkNeverUnmountsWhatTheLinkNames) {
  in_private_mount_namespace([](const fs::path& base) {
    const fs::path shared = base / "host/shared";
    mount_tmpfs(shared / "al/x/efi"); // the user's own mount (a FUSE mount in the attack)
    mount_tmpfs(base / "victim/efi");
    std::ofstream(base / "victim/efi/marker") << "host";
    const fs::path instance = base / "instance";
    fs::create_directories(instance / "ro/share");
    bind_mount_read_only(shared.string(), (instance / "ro/share").string());

    const fs::path copied = instance / "ro/share/al/x/efi";
    bool ok = check(is_mount_point(copied), "the view carries a copy of the user's mount");
    const auto listed = outermost_mounts_below(read_mountinfo("/proc/self/mountinfo"), instance.string());
    ok &= check(listed.size() == 1 && listed.front().mount_point == (instance / "ro/share").string(),
                "only the view bcvk made is outermost");

    fs::rename(shared / "al/x", shared / "al/x.old");
    fs::create_directory_symlink(base / "victim", shared / "al/x");
    ok &= check(fs::canonical(copied) == base / "victim/efi", "the listed path now names the victim's mount");

    for (const auto& mount : listed) {
      release_mount(instance.string(), mount);
    }
    ok &= check(mounts_below(instance.string()).empty(), "nothing stays mounted below the instance");
    ok &= check(is_mount_point(base / "victim/efi") && fs::exists(base / "victim/efi/marker"),
                "the victim's mount survives");
    ok &= check(is_mount_point(shared / "al/x.old/efi"), "the user's own mount survives");
    return ok;
  });
}

// Whatever is on the way to a mount point must be what bcvk made: a link there (only another party
// could have put it) is never followed, and the mount stays with an error rather than a guess.
TEST(MountRelease, AMountPointReachedThroughALinkIsNeverUnmounted) {
  in_private_mount_namespace([](const fs::path& base) {
    const fs::path instance = base / "instance";
    mount_tmpfs(base / "victim");
    mount_tmpfs(instance / "ro/share");
    const auto listed = outermost_mounts_below(read_mountinfo("/proc/self/mountinfo"), instance.string());
    bool ok = check(listed.size() == 1, "one outermost mount below the instance");
    fs::rename(instance / "ro", instance / "ro.old");
    fs::create_directory_symlink(base / "victimdir", instance / "ro");
    fs::create_directories(base / "victimdir");
    fs::create_directory_symlink(base / "victim", base / "victimdir/share");
    bool refused = false;
    try {
      release_mount(instance.string(), listed.front());
    } catch (const Error& e) {
      refused = std::string(e.what()).find("without following a link") != std::string::npos;
      std::cerr << "refused as expected: " << e.what() << "\n";
    }
    ok &= check(refused, "the release is refused, naming the link");
    ok &= check(is_mount_point(base / "victim"), "the mount the link names survives");
    return ok;
  });
}

// A writable mount (the root overlay) is unmounted for real, and mounts stacked on a mount point
// are all released, top first.
TEST(MountRelease, StackedAndWritableMountsAreAllReleased) {
  in_private_mount_namespace([](const fs::path& base) {
    const fs::path instance = base / "instance";
    mount_tmpfs(instance / "overlay/root");
    mount_tmpfs(instance / "overlay/root"); // stacked on the first
    fs::create_directories(base / "source");
    fs::create_directories(instance / "ro/share");
    bind_mount_read_only((base / "source").string(), (instance / "ro/share").string());
    release_mounts_below(instance.string());
    return check(mounts_below(instance.string()).empty(), "nothing stays mounted below the instance");
  });
}

} // namespace
