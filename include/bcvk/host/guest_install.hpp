#pragma once
// Placing the planned guest files into the instance's overlay.
#include <vector>

#include "bcvk/util/rooted_fs.hpp"
#include "bcvk/vm/guest_files.hpp"

namespace bcvk {

// Writes the files into `root` (the mounted overlay): every path is resolved inside it, parent
// directories are created there, and existing entries (links included) are replaced, not followed.
// `removals` (files, links or whole directories) go first; one that is missing is fine.
void install_guest_files(const RootedTree& root, const std::vector<std::string>& removals,
                         const std::vector<GuestFile>& files);

} // namespace bcvk
