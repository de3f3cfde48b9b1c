#include "bcvk/host/root_layer.hpp"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "bcvk/host/staging.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/handle.hpp"

namespace bcvk {

void create_root_layer(const std::string& image, std::uint64_t bytes, ProcessRunner& runner) {
  // No blocks kept for root (the guest's root is who writes), and nothing zeroed ahead: the file is
  // sparse and fresh, and the inode tables are marked unused (metadata_csum), so neither mkfs nor
  // the kernel's lazy init (off at mount) writes out space the guest has not used. No label: a
  // label would give every VM's device the same /dev/disk/by-label name on the host.
  create_formatted_file(image, bytes, "the root file system image",
                        {"mkfs.ext4", "-q", "-F", "-m", "0", "-E", "lazy_itable_init=1,lazy_journal_init=1,nodiscard"},
                        runner);
}

namespace {

constexpr int k_loop_attempts = 16; // another process may take the free device first

struct LoopDevice {
  Fd fd;
  std::string path; // in /dev, which only root changes
};

// A loop device on `backing` that is cleared when its last user goes: held open here until the
// file system is mounted from it, after which the mount is that user.
LoopDevice attach_loop(const Fd& backing, const std::string& image, bool read_only = false) {
  const Fd control(::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (!control) {
    throw Error("cannot open /dev/loop-control to mount " + image + ": " + std::strerror(errno) +
                " (the loop module must be available)");
  }
  for (int attempt = 0; attempt < k_loop_attempts; ++attempt) {
    const int number = ::ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (number < 0) {
      throw Error("cannot get a free loop device for " + image + ": " + std::strerror(errno));
    }
    const std::string device = "/dev/loop" + std::to_string(number);
    Fd loop(::open(device.c_str(), O_RDWR | O_CLOEXEC));
    if (!loop) {
      throw Error("cannot open " + device + " for " + image + ": " + std::strerror(errno));
    }
    loop_config config{};
    config.fd = static_cast<std::uint32_t>(backing.get());
    config.info.lo_flags = read_only ? LO_FLAGS_AUTOCLEAR | LO_FLAGS_READ_ONLY : LO_FLAGS_AUTOCLEAR;
    if (::ioctl(loop.get(), LOOP_CONFIGURE, &config) == 0) {
      return {std::move(loop), device};
    }
    if (errno != EBUSY) {
      throw Error("cannot attach " + image + " to " + device + ": " + std::strerror(errno));
    }
  }
  throw Error("cannot attach " + image + " to a loop device: every free one was taken first");
}

// Whether a loop device is attached to the file `st` describes: its file system is still alive
// somewhere (a copy of the mount in another mount namespace, a release that could not finish), and
// a second one on the same file would corrupt it.
bool backs_a_loop_device(const std::string& image, const struct stat& st) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/sys/block", ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("loop")) {
      continue;
    }
    const Fd loop(::open(("/dev/" + name).c_str(), O_RDONLY | O_CLOEXEC));
    if (!loop) {
      // No device node to ask (a /dev without it): the kernel's name for the backing file will do.
      std::ifstream backing(entry.path() / "loop/backing_file");
      std::string file;
      if (std::getline(backing, file) && file == image) {
        return true;
      }
      continue;
    }
    loop_info64 info{};
    if (::ioctl(loop.get(), LOOP_GET_STATUS64, &info) == 0 && info.lo_inode == st.st_ino &&
        info.lo_device == st.st_dev) {
      return true;
    }
  }
  return false;
}

} // namespace

namespace {

// The file behind a root layer, checked: root's alone, and no loop device on it already.
Fd open_backing(const std::string& image, int flags) {
  Fd backing(::open(image.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  if (!backing || ::fstat(backing.get(), &st) != 0) {
    throw Error("cannot open the root file system image " + image + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077) != 0) {
    throw Error(image + " is not a regular file only root can use, so it is not mounted");
  }
  if (backs_a_loop_device(image, st)) {
    throw Error(image +
                " is still in use by a loop device, so it is not mounted again (its file system lives on, "
                "mounted elsewhere): 'losetup -j " +
                image +
                "' names the device, processes whose /proc/PID/mountinfo lists it hold it; try again once "
                "they have let go");
  }
  return backing;
}

} // namespace

void mount_root_layer(const std::string& image, const std::string& target) {
  const Fd backing = open_backing(image, O_RDWR);
  const LoopDevice loop = attach_loop(backing, image);
  // discard: what the guest deletes is given back to the host (the loop device punches holes in
  // the file).
  if (::mount(loop.path.c_str(), target.c_str(), "ext4", MS_NOSUID | MS_NODEV, "discard,noinit_itable") != 0) {
    throw Error("cannot mount the root file system image " + image + " at " + target + ": " + std::strerror(errno));
  }
}

Fd open_root_layer_read_only(const std::string& image) {
  const Fd backing = open_backing(image, O_RDONLY);
  const LoopDevice loop = attach_loop(backing, image, true);
  const Fd context(::fsopen("ext4", FSOPEN_CLOEXEC));
  if (!context || ::fsconfig(context.get(), FSCONFIG_SET_STRING, "source", loop.path.c_str(), 0) != 0 ||
      ::fsconfig(context.get(), FSCONFIG_SET_FLAG, "ro", nullptr, 0) != 0 ||
      ::fsconfig(context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    // EROFS: its journal must be replayed first (the host went down while the VM ran), which a
    // read-only mount cannot do; a boot of the VM does.
    throw Error("cannot read the root file system image " + image + ": " + std::strerror(errno) +
                (errno == EROFS ? " (its journal needs replaying: start the VM and stop it, then try again)" : ""));
  }
  Fd mount(::fsmount(context.get(), FSMOUNT_CLOEXEC,
                     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
  if (!mount) {
    throw Error("cannot read the root file system image " + image + ": " + std::strerror(errno));
  }
  return mount;
}

std::uint64_t root_layer_host_bytes(const std::string& image) {
  struct stat st {};
  if (::lstat(image.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return 0;
  }
  return static_cast<std::uint64_t>(st.st_blocks) * 512U;
}

} // namespace bcvk
