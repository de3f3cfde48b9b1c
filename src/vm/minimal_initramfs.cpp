#include "bcvk/vm/minimal_initramfs.hpp"

#include <cstdio>
#include <set>

#include "bcvk/guest_init/layout.hpp"
#include "bcvk/util/error.hpp"

namespace bcvk {

std::optional<std::string> clashing_module_file(const std::vector<std::string>& paths) {
  std::set<std::string> files;
  for (const auto& path : paths) {
    const std::string file = path.substr(path.rfind('/') + 1);
    if (file.find(".ko") == std::string::npos || !files.insert(file).second) {
      return file;
    }
  }
  return std::nullopt;
}

std::vector<CpioEntry> minimal_initramfs(const std::vector<ModuleFile>& modules, std::string_view init) {
  using Kind = CpioEntry::Kind;
  namespace layout = guest_init;
  std::vector<CpioEntry> entries{
      {Kind::directory, "dev", "", 0755},
      {Kind::char_device, "dev/console", "", 0600, 5, 1},
      {Kind::directory, "proc", "", 0755},
      {Kind::directory, "sys", "", 0755},
      {Kind::directory, layout::k_new_root, "", 0755},
      {Kind::directory, "bcvk-init", "", 0755},
      {Kind::directory, layout::k_modules_dir, "", 0755},
  };
  std::vector<std::string> paths;
  for (const auto& m : modules) {
    paths.push_back(m.path);
  }
  // modules_to_load() only returns plain relative paths: a file name is safe as it is, unless the
  // image lists two modules of one file name, or a directory.
  if (const auto clash = clashing_module_file(paths)) {
    throw Error("the image's modules.dep lists the module file " + *clash +
                " twice or not as a file: rebuild its modules.dep with depmod, or boot with --initramfs image");
  }
  std::string order;
  for (const auto& m : modules) {
    const std::string file = m.path.substr(m.path.rfind('/') + 1);
    entries.push_back({Kind::file, std::string(layout::k_modules_dir) + "/" + file, m.bytes, 0644});
    order += file + "\n";
  }
  entries.push_back({Kind::file, layout::k_load_order, order, 0644});
  entries.push_back({Kind::file, layout::k_init_path, std::string(init), 0755});
  return entries;
}

std::string init_fingerprint(std::string_view init) {
  std::uint32_t hash = 2166136261u;
  for (const char c : init) {
    hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  }
  char text[9];
  std::snprintf(text, sizeof text, "%08x", static_cast<unsigned>(hash));
  return text;
}

} // namespace bcvk
