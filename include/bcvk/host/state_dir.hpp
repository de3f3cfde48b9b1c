#pragma once
// Where bcvk keeps its state on the host, and the checks that keep another user from steering it.
#include <string>

namespace bcvk {

// The state root, instances/ and each instance directory: traversable, not listable (see the
// table in vm/instance_layout.hpp).
inline constexpr unsigned k_state_dir_mode = 0711;

// BCVK_STATE_DIR, else /var/lib/bcvk. Throws UsageError when it is not an absolute path, or
// exists but is not a directory that only root can write (e.g. /tmp): such a directory is never
// used and never chmod'ed. Canonical once it exists.
std::string state_root();
// The state root, created (0711) when missing, then checked as above.
std::string ensure_state_root();
// Where instance directories live (state_root()/instances), checked as above when it exists.
std::string instances_root();
// Throws UsageError unless `path` is a directory owned by us that nobody else can write or swap.
void check_state_dir(const std::string& path);

} // namespace bcvk
