#pragma once
// Stopping one VM, for verbs that stop a VM on the way (`commit --stop`).
#include "bcvk/instance/instance_dir.hpp"
#include "bcvk/instance/services.hpp"
#include "bcvk/util/signals.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {

struct StoppedInstance {
  InstanceDir dir;     // locked, unless the instance is gone (a VM made with --rm)
  bool forced = false; // powered off without the guest's shutdown
};

// As `ephemeral stop NAME` does (ACPI, then by force after `timeout_seconds`), and returns once the
// VM's owner has released it, with its lock held, so that nobody starts it in between. Prints
// nothing; throws Error.
StoppedInstance stop_instance(Services& s, const VmName& vm, unsigned timeout_seconds, bool force,
                              SignalCatcher& signals);

} // namespace bcvk
