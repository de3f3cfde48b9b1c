#pragma once
// What the waits on a booting guest look at (the SSH wait, a foreground --execute), and what
// their failures point the user at.
#include <string>

#include "bcvk/instance/instance_dir.hpp"

namespace bcvk {

// The sizes of the files the guest writes through its VM (console, journal, --execute outputs):
// any change is progress. Never follows a link.
std::string guest_log_activity(const InstanceLayout& dir);

// Whether the instance's domain is emulated (type 'qemu', no KVM), from the domain XML saved when
// it was made: the live domain may already be gone when this is asked.
bool instance_is_emulated(const InstanceLayout& dir);

// Copies the console log of an instance about to be removed (--rm) into a new, unpredictably
// named file in the temporary directory (bcvk-console-NAME-XXXXXX.log, 0600) and returns its path.
std::string rescue_console_log(const InstanceDir& dir);

// The console log a failure names: the instance's own, or for an --rm instance (about to be
// removed) a rescued copy; the instance's own if the copy cannot be made (with a warning).
std::string console_log_to_name(const InstanceDir& dir, bool auto_remove);

} // namespace bcvk
