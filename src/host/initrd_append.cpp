#include "bcvk/host/initrd_append.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "bcvk/util/error.hpp"
#include "bcvk/util/handle.hpp"
#include "bcvk/vm/initrd_addon.hpp"

namespace bcvk {
namespace {

// A modules.dep of every module of a distribution kernel is about 1 MiB; a module a few MiB. The
// add-on is held in memory and appended to every instance's initramfs, so it stays small.
constexpr std::size_t k_max_modules_dep = 16 * 1024 * 1024;
constexpr std::size_t k_max_module = 16 * 1024 * 1024;
constexpr std::size_t k_max_addon_bytes = 48 * 1024 * 1024;

} // namespace

void append_virtiofs_addon(const RootedTree& image_root, const std::string& kernel_version, const std::string& initrd,
                           const std::vector<std::string>& early_modules) {
  const std::string module_dir = "/usr/lib/modules/" + kernel_version + "/";
  std::vector<std::string> wanted = k_virtiofs_modules;
  wanted.insert(wanted.end(), early_modules.begin(), early_modules.end());
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

} // namespace bcvk
