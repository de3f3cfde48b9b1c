// The guest's writable layer on a file system of its own (needs root and the loop module, no VM;
// each case in a private mount namespace).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../common/private_mount_namespace.hpp"
#include "bcvk/host/mounts.hpp"
#include "bcvk/host/process.hpp"
#include "bcvk/host/root_layer.hpp"
#include "bcvk/util/handle.hpp"
#include "bcvk/util/size.hpp"

using namespace bcvk;
using namespace bcvk::test_support;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t k_layer_bytes = 64 * k_mib;

// Writes 1 MiB blocks to `path` until the file system refuses one; the errno it refused with.
int fill(const fs::path& path) {
  const Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) {
    return errno;
  }
  const std::vector<char> block(k_mib, 'x');
  for (;;) {
    if (::write(fd.get(), block.data(), block.size()) < 0) {
      return errno;
    }
  }
}

// Whether `condition` holds within 10 s: the loop device carries discards out on its own time.
template <typename Condition> bool eventually(Condition condition) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// The loop devices whose backing file is `image` (a device is cleared when its mount goes).
int loops_backed_by(const fs::path& image) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator("/sys/block")) {
    std::ifstream backing(entry.path() / "loop/backing_file");
    std::string file;
    if (std::getline(backing, file) && file == image.string()) {
      ++count;
    }
  }
  return count;
}

} // namespace

// The attack: a guest that writes until something gives. It gets ENOSPC at its own size, the
// host's file takes no more than that, what it deletes goes back to the host, and releasing the
// instance leaves neither a mount nor a loop device.
TEST(RootLayer, AGuestWritingPastItsSizeGetsNoSpaceAndTheHostGivesNoMore) {
  in_private_mount_namespace([](const fs::path& base) {
    const fs::path instance = base / "instance";
    fs::create_directories(instance / "layer");
    const fs::path image = instance / "root.img";
    SystemProcessRunner runner;
    create_root_layer(image.string(), k_layer_bytes, runner);
    bool ok = check(root_layer_host_bytes(image.string()) < 8 * k_mib, "a fresh layer takes almost nothing");
    ok &= check((fs::status(image).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write),
                "the image is root's alone");
    mount_root_layer(image.string(), (instance / "layer").string());
    struct statvfs sv {};
    ok &= check(::statvfs((instance / "layer").c_str(), &sv) == 0 &&
                    static_cast<std::uint64_t>(sv.f_blocks) * sv.f_frsize <= k_layer_bytes,
                "df shows the layer's own size, not the host's disk");
    ok &= check(loops_backed_by(image) == 1, "one loop device while mounted");
    fs::create_directories(instance / "second");
    try {
      mount_root_layer(image.string(), (instance / "second").string());
      ok &= check(false, "a second file system was mounted on the same file");
    } catch (const Error& e) {
      ok &= check(std::string(e.what()).find("is still in use by a loop device") != std::string::npos, e.what());
    }
    ok &= check(loops_backed_by(image) == 1, "the refusal attached nothing");

    ok &= check(fill(instance / "layer/fill") == ENOSPC, "the writer gets ENOSPC");
    Fd layer(::open((instance / "layer").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ::syncfs(layer.get());
    const std::uint64_t full = root_layer_host_bytes(image.string());
    ok &= check(full > k_layer_bytes / 2 && full <= k_layer_bytes,
                "the host gave at most the layer's size (" + std::to_string(full) + " bytes)");
    fs::remove(instance / "layer/fill");
    ::syncfs(layer.get());
    ok &= check(eventually([&] { return root_layer_host_bytes(image.string()) < full / 2; }),
                "what the guest deletes goes back to the host");
    layer.reset(); // it would keep the layer busy

    // The root overlay on the layer: the release takes both, and with them the file system and its
    // loop device.
    fs::create_directories(base / "lower");
    fs::create_directories(instance / "layer/upper");
    fs::create_directories(instance / "layer/work");
    fs::create_directories(instance / "root");
    mount_overlay((base / "lower").string(), (instance / "layer/upper").string(), (instance / "layer/work").string(),
                  (instance / "root").string(), UpperFormat::diffable);
    std::ofstream(instance / "root/written") << "by the guest";
    ok &= check(fs::exists(instance / "layer/upper/written"), "the overlay writes to the layer");
    release_mounts_below(instance.string());
    ok &= check(mounts_below(instance.string()).empty(), "nothing stays mounted below the instance");
    ok &= check(loops_backed_by(image) == 0, "the loop device went with the mount");

    // A kept instance boots again from the same file, with what its guest wrote.
    mount_root_layer(image.string(), (instance / "layer").string());
    ok &= check(fs::exists(instance / "layer/upper/written"), "the guest's writes are kept");
    release_mounts_below(instance.string());
    ok &= check(loops_backed_by(image) == 0, "released again");
    return ok;
  });
}

// The image is the instance's: a file that another user could change (or a link) is never mounted,
// and an existing one is never formatted over.
TEST(RootLayer, OnlyRootsOwnImageIsMountedAndNoneIsFormattedOver) {
  in_private_mount_namespace([](const fs::path& base) {
    const fs::path image = base / "root.img";
    fs::create_directories(base / "layer");
    SystemProcessRunner runner;
    create_root_layer(image.string(), k_layer_bytes, runner);
    bool ok = true;
    const auto refused = [&](const std::string& what, const std::string& fragment) {
      try {
        mount_root_layer(image.string(), (base / "layer").string());
      } catch (const Error& e) {
        return check(std::string(e.what()).find(fragment) != std::string::npos, what + ": " + e.what());
      }
      return check(false, what + ": it was mounted");
    };
    fs::permissions(image, fs::perms::group_write, fs::perm_options::add);
    ok &= refused("group-writable", "is not a regular file only root can use");
    fs::permissions(image, fs::perms::group_write, fs::perm_options::remove);
    ok &= check(::chown(image.c_str(), 65534, 65534) == 0, "chown");
    ok &= refused("owned by nobody", "is not a regular file only root can use");
    fs::rename(image, base / "real.img");
    fs::create_symlink(base / "real.img", image);
    ok &= refused("a link", "cannot open the root file system image");
    ok &= check(loops_backed_by(base / "real.img") == 0, "no loop device is left by a refusal");
    try {
      create_root_layer((base / "real.img").string(), k_layer_bytes, runner);
      ok &= check(false, "an existing file was formatted over");
    } catch (const Error& e) {
      ok &= check(std::string(e.what()).find("File exists") != std::string::npos, e.what());
    }
    return ok;
  });
}
