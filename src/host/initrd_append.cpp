#include "bcvk/host/initrd_append.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "bcvk/util/error.hpp"
#include "bcvk/util/handle.hpp"
#include "bcvk/guest_init/boot_args.hpp"
#include "bcvk/vm/initrd_addon.hpp"
#include "bcvk/vm/minimal_initramfs.hpp"

namespace bcvk {
namespace {

// A modules.dep of every module of a distribution kernel is about 1 MiB; a module a few MiB. The
// add-on is held in memory and appended to every instance's initramfs, so it stays small.
constexpr std::size_t k_max_modules_dep = 16 * 1024 * 1024;
constexpr std::size_t k_max_module = 16 * 1024 * 1024;
constexpr std::size_t k_max_addon_bytes = 48 * 1024 * 1024;

std::string module_dir_of(const std::string& kernel_version) {
  return "/usr/lib/modules/" + kernel_version + "/";
}

// The modules a virtiofs root needs, then the machine's early ones.
std::vector<std::string> wanted_modules(const std::vector<std::string>& early_modules) {
  std::vector<std::string> wanted = k_virtiofs_modules;
  wanted.insert(wanted.end(), early_modules.begin(), early_modules.end());
  return wanted;
}

// The image's own modules for a virtiofs root and `early_modules`, in load order; none when the
// image has no modules.dep (its kernel then has what it needs built in, or nothing helps).
std::vector<ModuleFile> root_modules(const RootedTree& image_root, const std::string& kernel_version,
                                     const std::vector<std::string>& early_modules) {
  const std::string module_dir = module_dir_of(kernel_version);
  const std::vector<std::string> wanted = wanted_modules(early_modules);
  std::vector<ModuleFile> modules;
  if (const auto dep = image_root.read_file(module_dir + "modules.dep", LinkPolicy::confined, k_max_modules_dep)) {
    std::size_t total = 0;
    for (const auto& path : modules_to_load(*dep, wanted)) {
      if (auto bytes = image_root.read_file(module_dir + path, LinkPolicy::confined, k_max_module)) {
        total += bytes->size();
        if (total > k_max_addon_bytes) {
          throw Error("the modules a virtiofs root needs take more than " + std::to_string(k_max_addon_bytes >> 20) +
                      " MiB in the image" + ": bcvk will not copy that into the VM's initramfs");
        }
        modules.push_back({path, std::move(*bytes)});
      }
    }
  }
  return modules;
}

bool lists_line(const std::optional<std::string>& text, const std::string& wanted) {
  if (!text) {
    return false;
  }
  std::size_t start = 0;
  while (start < text->size()) {
    const auto end = text->find('\n', start);
    if (text->compare(start, (end == std::string::npos ? text->size() : end) - start, wanted) == 0) {
      return true;
    }
    start = end == std::string::npos ? text->size() : end + 1;
  }
  return false;
}

} // namespace

std::string minimal_initramfs_obstacle(const RootedTree& image_root, const std::string& kernel_version,
                                       const std::vector<std::string>& early_modules) {
  const std::string module_dir = module_dir_of(kernel_version);
  const auto dep = image_root.read_file(module_dir + "modules.dep", LinkPolicy::confined, k_max_modules_dep);
  if (!dep) {
    return "the image has no " + module_dir + "modules.dep";
  }
  const std::vector<std::string> wanted = wanted_modules(early_modules);
  const std::vector<std::string> paths = modules_to_load(*dep, wanted);
  const auto builtin = image_root.read_file(module_dir + "modules.builtin", LinkPolicy::confined, k_max_modules_dep);
  for (const auto& name : wanted) {
    const bool listed = std::any_of(paths.begin(), paths.end(), [&name](const std::string& path) {
      return guest_init::module_name_of_file(path) == name;
    });
    const bool built_in = builtin && builtin->find("/" + name + ".ko") != std::string::npos;
    if (!listed && !built_in) {
      return "its kernel has no " + name + " module";
    }
  }
  if (const auto clash = clashing_module_file(paths)) {
    return "its modules.dep lists the module file " + *clash + " twice or not as a module";
  }
  std::optional<std::string> config;
  for (const auto& path : paths) {
    if (image_root.kind_of(module_dir + path, LinkPolicy::confined) != TreeEntry::Kind::file) {
      return "its modules.dep lists " + path + ", which is not in the image";
    }
    if (guest_init::is_compressed_module(path)) {
      if (!config) {
        config = image_root.read_file(module_dir + "config", LinkPolicy::confined, k_max_modules_dep);
        if (!config) {
          config = image_root.read_file("/boot/config-" + kernel_version, LinkPolicy::confined, k_max_modules_dep);
        }
        config = config.value_or("");
      }
      // The kernel decompresses modules in the one format it was built for.
      const std::string format = path.ends_with(".ko.xz")    ? "XZ"
                                 : path.ends_with(".ko.zst") ? "ZSTD"
                                 : path.ends_with(".ko.gz")  ? "GZIP"
                                                             : "";
      if (format.empty() || !lists_line(config, "CONFIG_MODULE_DECOMPRESS=y") ||
          !lists_line(config, "CONFIG_MODULE_COMPRESS_" + format + "=y")) {
        return "its modules are compressed (" + path + ") and its kernel's config does not say it decompresses them";
      }
    }
  }
  return "";
}

void append_virtiofs_addon(const RootedTree& image_root, const std::string& kernel_version, const std::string& initrd,
                           const std::vector<std::string>& early_modules) {
  const std::vector<ModuleFile> modules = root_modules(image_root, kernel_version, early_modules);
  const Fd fd(::open(initrd.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0) {
    throw Error("cannot open " + initrd + " to add virtiofs support: " + std::strerror(errno));
  }
  // The kernel reads an uncompressed archive after another one only from a 4-byte boundary of the
  // whole initramfs; zeros before it are skipped.
  std::string tail(static_cast<std::size_t>((4 - st.st_size % 4) % 4), '\0');
  tail += newc_archive(virtiofs_initrd_addon(modules));
  write_all(fd.get(), tail, initrd);
}

void write_minimal_initramfs(const RootedTree& image_root, const std::string& kernel_version, const std::string& initrd,
                             const std::vector<std::string>& early_modules, std::string_view init) {
  const std::vector<ModuleFile> modules = root_modules(image_root, kernel_version, early_modules);
  const Fd fd(::open(initrd.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd || ::fchmod(fd.get(), 0644) != 0) { // QEMU reads it as another user, whatever the umask
    throw Error("cannot create " + initrd + ": " + std::strerror(errno));
  }
  write_all(fd.get(), newc_archive(minimal_initramfs(modules, init)), initrd);
}

} // namespace bcvk
