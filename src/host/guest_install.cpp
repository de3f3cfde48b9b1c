#include "bcvk/host/guest_install.hpp"

namespace bcvk {

void install_guest_files(const RootedTree& root, const std::vector<std::string>& removals,
                         const std::vector<GuestFile>& files) {
  for (const auto& path : removals) {
    root.remove_entry(path);
  }
  for (const auto& f : files) {
    if (f.symlink) {
      root.write_symlink(f.path, f.content);
    } else {
      root.write_file(f.path, f.content, f.mode);
    }
  }
}

} // namespace bcvk
