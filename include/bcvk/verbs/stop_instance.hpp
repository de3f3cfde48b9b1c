#pragma once
// Stopping one VM, for verbs that stop a VM on the way (`commit --stop`).
#include "bcvk/instance/services.hpp"
#include "bcvk/util/signals.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {

// As `ephemeral stop NAME` does (ACPI, then by force after `timeout_seconds`), and returns once the
// VM's owner has released it. Prints nothing; throws Error.
void stop_instance(Services& s, const VmName& vm, unsigned timeout_seconds, bool force, SignalCatcher& signals);

} // namespace bcvk
