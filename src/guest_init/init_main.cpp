// bcvk's guest init: PID 1 of the minimal initramfs (--initramfs minimal). It loads the image's
// own virtio and virtiofs modules, mounts the virtiofs root the kernel command line names, moves
// the API file systems into it, frees the initramfs and hands over to the image's init, which then
// starts as on a machine booted without an initramfs. Built static, apart from bcvk (no
// sanitizers, no shared libraries: nothing else is in the initramfs), and embedded in bcvk.
// Any failure is one line on the console, then the VM powers off: PID 1 must never exit.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "bcvk/guest_init/boot_args.hpp"
#include "bcvk/guest_init/layout.hpp"

namespace {

using namespace bcvk::guest_init;

// finit_module's flag for a module the kernel decompresses itself (CONFIG_MODULE_DECOMPRESS).
constexpr int k_module_compressed_file = 4;
// The file systems an initramfs lives on (statfs f_type): only such a tree is ever deleted.
constexpr long k_ramfs_magic = 0x858458f6;
constexpr long k_tmpfs_magic = 0x01021994;

void say(int level, const std::string& text) {
  const std::string line = "<" + std::to_string(level) + ">bcvk-init: " + text + "\n";
  const int kmsg = ::open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
  if (kmsg >= 0) {
    (void)!::write(kmsg, line.data(), line.size());
    ::close(kmsg);
  }
}

[[noreturn]] void fail(const std::string& text) {
  const std::string line = "bcvk-init: " + text + "\n";
  (void)!::write(2, line.data(), line.size()); // the console, even when the kernel log is quiet
  say(3, text);
  ::sync();
  ::sleep(1); // lets the console drain before QEMU goes
  ::reboot(RB_POWER_OFF);
  for (;;) {
    ::pause();
  }
}

std::string errno_text() {
  return std::strerror(errno);
}

double now_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string read_file(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail(std::string("cannot open ") + path + ": " + errno_text());
  }
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      fail(std::string("cannot read ") + path + ": " + errno_text());
    }
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

void mount_or_fail(const char* source, const char* target, const char* type, unsigned long flags, const char* data) {
  ::mkdir(target, 0755);
  if (::mount(source, target, type, flags, data) != 0 && errno != EBUSY) {
    fail(std::string("cannot mount ") + type + " on " + target + ": " + errno_text());
  }
}

// The console as stdin, stdout and stderr (the kernel found no /dev/console before /dev existed).
void open_console() {
  const int fd = ::open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd < 0) {
    return; // nothing to show messages on; the kernel log still has them
  }
  for (int std_fd = 0; std_fd <= 2; ++std_fd) {
    if (fd != std_fd) {
      ::dup2(fd, std_fd);
    }
  }
  if (fd > 2) {
    ::close(fd);
  }
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    const std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty()) {
      lines.push_back(line);
    }
    start = end == std::string::npos ? text.size() : end + 1;
  }
  return lines;
}

void load_modules(const BootArgs& args) {
  for (const auto& file : lines_of(read_file(k_load_order))) {
    const std::string path = std::string(k_modules_dir) + "/" + file;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      fail("cannot open " + path + ": " + errno_text());
    }
    const std::string params = module_params(args, module_name_of_file(file));
    const int flags = is_compressed_module(file) ? k_module_compressed_file : 0;
    if (::syscall(SYS_finit_module, fd, params.c_str(), flags) != 0 && errno != EEXIST) {
      const bool cannot_decompress = flags != 0 && (errno == EINVAL || errno == EOPNOTSUPP);
      fail("cannot load " + file + ": " + errno_text() +
           (cannot_decompress ? " (this kernel does not decompress modules itself: boot with --initramfs image)" : ""));
    }
    ::close(fd);
  }
}

// Whether the virtiofs driver has a device: until then no tag is known.
bool virtiofs_device_bound() {
  DIR* dir = ::opendir("/sys/bus/virtio/drivers/virtiofs");
  if (dir == nullptr) {
    return false;
  }
  bool found = false;
  while (const dirent* entry = ::readdir(dir)) {
    found = found || std::strncmp(entry->d_name, "virtio", 6) == 0;
  }
  ::closedir(dir);
  return found;
}

// Mounts the root once its device is there: the virtio PCI driver binds the device shortly after
// its module loads, and until then virtiofs knows no such tag (EINVAL, like a bad option). Once the
// driver has its devices, a mount that still fails soon is a real failure, not a wait.
void mount_root(const BootArgs& args) {
  if (args.root_fstype != "virtiofs" || args.root.empty()) {
    fail("cannot boot: the kernel command line names no virtiofs root (rootfstype=virtiofs root=TAG), "
         "the only root this initramfs mounts; boot with --initramfs image");
  }
  ::mkdir(k_new_root, 0755);
  const unsigned long flags = args.read_only ? MS_RDONLY : 0;
  const char* data = args.root_flags.empty() ? nullptr : args.root_flags.c_str();
  double deadline = now_seconds() + k_root_wait_seconds;
  bool bound = false;
  while (::mount(args.root.c_str(), k_new_root, "virtiofs", flags, data) != 0) {
    const int error = errno;
    if (!bound && virtiofs_device_bound()) {
      bound = true;
      deadline = std::min(deadline, now_seconds() + k_root_settle_seconds);
    }
    if ((error != EINVAL && error != ENODEV && error != ENOENT) || now_seconds() > deadline) {
      errno = error;
      fail("cannot mount the virtiofs root '" + args.root + "'" +
           (args.root_flags.empty() ? "" : " with rootflags=" + args.root_flags) + ": " + errno_text());
    }
    const timespec pause{0, 10 * 1000 * 1000};
    ::nanosleep(&pause, nullptr);
  }
}

// Deletes the initramfs's files (they would hold memory for as long as the VM runs), staying on
// its own file system: the new root and the API file systems are mounts, and are skipped. Counts
// what it deleted.
void delete_tree(int dir_fd, dev_t device, unsigned& deleted) {
  DIR* dir = ::fdopendir(dir_fd);
  if (dir == nullptr) {
    ::close(dir_fd);
    return;
  }
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    struct stat st {};
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_dev != device) {
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      const int child = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      struct stat child_st {};
      if (child >= 0 && ::fstat(child, &child_st) == 0 && child_st.st_dev == device) {
        delete_tree(child, device, deleted);
      } else if (child >= 0) {
        ::close(child);
        continue;
      }
      deleted += ::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) == 0 ? 1 : 0;
    } else {
      deleted += ::unlinkat(dir_fd, name.c_str(), 0) == 0 ? 1 : 0;
    }
  }
  ::closedir(dir);
}

// The API file systems go along into the new root (its init then finds them mounted, as after any
// initramfs); where the image has no such directory, they are left behind, detached.
void move_api_mounts() {
  for (const char* api : {"/dev", "/proc", "/sys"}) {
    const std::string target = std::string("/") + k_new_root + api;
    struct stat st {};
    // lstat: an image whose /dev is a link gets its own API mounts from its init, not ours through it.
    if (::lstat(target.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
        ::mount(api, target.c_str(), nullptr, MS_MOVE, nullptr) == 0) {
      continue;
    }
    ::umount2(api, MNT_DETACH);
  }
}

// Moves the new root onto / and enters it; then deletes the initramfs, but only when it is what an
// initramfs is (ramfs or tmpfs, another device than the new root). Returns how many files went.
unsigned switch_root() {
  const int old_root = ::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat st {};
  if (::chdir(k_new_root) != 0) {
    fail(std::string("cannot enter the new root: ") + errno_text());
  }
  if (::mount(".", "/", nullptr, MS_MOVE, nullptr) != 0) {
    fail(std::string("cannot move the new root to /: ") + errno_text());
  }
  if (::chroot(".") != 0 || ::chdir("/") != 0) {
    fail(std::string("cannot change to the new root: ") + errno_text());
  }
  unsigned deleted = 0;
  struct statfs fs {};
  struct stat new_root {};
  if (old_root >= 0 && ::fstat(old_root, &st) == 0 && ::fstatfs(old_root, &fs) == 0 && ::stat("/", &new_root) == 0 &&
      (fs.f_type == k_ramfs_magic || fs.f_type == k_tmpfs_magic) && st.st_dev != new_root.st_dev) {
    delete_tree(old_root, st.st_dev, deleted); // closes it
  } else if (old_root >= 0) {
    ::close(old_root);
  }
  return deleted;
}

[[noreturn]] void exec_init(const BootArgs& args, char** argv) {
  std::vector<std::string> candidates;
  if (!args.init.empty()) {
    candidates.push_back(args.init);
  } else {
    candidates = {"/sbin/init", "/usr/lib/systemd/systemd", "/lib/systemd/systemd", "/etc/init", "/bin/init"};
  }
  int first_error = 0;
  for (const auto& path : candidates) {
    argv[0] = const_cast<char*>(path.c_str());
    ::execv(path.c_str(), argv);
    // The most telling error: a program that is there but cannot run beats one that is missing.
    first_error = (first_error == 0 || first_error == ENOENT) ? errno : first_error;
  }
  errno = first_error;
  fail("cannot start the image's init (" + candidates.front() + "): " + errno_text());
}

} // namespace

int main(int /*argc*/, char** argv) {
  // PID 1 must not end, not even when memory runs out (std::bad_alloc with nothing to catch it):
  // a fixed line, written without allocating, then the VM powers off.
  std::set_terminate([] {
    static const char line[] = "bcvk-init: cannot go on (out of memory)\n";
    (void)!::write(2, line, sizeof line - 1);
    ::sync();
    ::reboot(RB_POWER_OFF);
    for (;;) {
      ::pause();
    }
  });
  const double started = now_seconds();
  mount_or_fail("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
  open_console();
  mount_or_fail("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  mount_or_fail("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  const BootArgs args = parse_boot_args(read_file("/proc/cmdline"));
  load_modules(args);
  mount_root(args);
  move_api_mounts();
  const unsigned freed = switch_root();
  char took[32];
  std::snprintf(took, sizeof took, "%.3f", now_seconds() - started);
  say(6, std::string("root mounted in ") + took + " s; " + std::to_string(freed) +
             " initramfs files freed; starting the image's init");
  exec_init(args, argv);
}
