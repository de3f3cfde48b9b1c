// Releasing an instance's mounts by what was mounted, never by what a path names later (needs root,
// no VM; each case in a private mount namespace).
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
#include "../common/private_mount_namespace.hpp"

using namespace bcvk;
using namespace bcvk::test_support;
namespace fs = std::filesystem;

namespace {

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
      ok &= check(release_mount(instance.string(), mount) == MountRelease::released, "the view is released");
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
