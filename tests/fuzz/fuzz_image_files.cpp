// What bcvk reads from an image or a guest that could be hostile: a UKI's PE headers, kargs.d TOML,
// sshd configuration, modules.dep, the guest's journal and console, containers' storage.conf. The first byte picks the
// reader; refusing (bcvk::Error) is fine.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bcvk/host/bootc_layout.hpp"
#include "bcvk/util/error.hpp"
#include "selector_input.hpp"
#include "bcvk/vm/boot_progress.hpp"
#include "bcvk/vm/containers_storage_conf.hpp"
#include "bcvk/vm/image_kargs.hpp"
#include "bcvk/vm/initrd_addon.hpp"
#include "bcvk/vm/sshd_config.hpp"

using namespace bcvk;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::read_selected(data, size, [](unsigned selector, const std::string& text) {
    switch (selector % 6) {
    case 0:
      parse_pe_sections(text);
      break;
    case 1:
      kargs_from_toml("/usr/lib/bootc/kargs.d/fuzz.toml", text, "x86_64");
      break;
    case 2: {
      // Every Include resolves to the same text again: loops must end at the depth limit.
      const IncludeExpander expand = [&text](const std::string&) {
        return std::vector<ConfigFile>{{"/etc/ssh/included", text}};
      };
      sshd_setting("PermitRootLogin", {"/etc/ssh/sshd_config", text}, expand);
      break;
    }
    case 3: {
      // The archive is built from what modules.dep names: those names reach the cpio headers.
      std::vector<ModuleFile> modules;
      for (const auto& path : modules_to_load(text, k_virtiofs_modules)) {
        modules.push_back({path, "module"});
      }
      newc_archive(virtiofs_initrd_addon(modules));
      break;
    }
    case 4: // what the guest wrote to its journal and console
      latest_boot_step(text);
      boot_failure_report(text, text);
      break;
    case 5: // the image's storage.conf, which --bind-storage-ro extends
      storage_conf_with_image_store(ConfigFile{"/etc/containers/storage.conf", text}, "/run/virtiofs-mnt-hoststorage");
      break;
    }
  });
}
