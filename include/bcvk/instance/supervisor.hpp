#pragma once
// The supervisor of a detached VM: a process of its own that holds the instance's lock while the
// VM runs and releases the instance (keeps or removes it) once the VM stops.
#include <string>

#include "bcvk/instance/instance_dir.hpp"
#include "bcvk/util/signals.hpp"

namespace bcvk {

// Starts `bcvk ephemeral supervise NAME` detached from this process (double fork, new session);
// the instance's lock is handed down to it through BCVK_LOCK_FD.
void spawn_supervisor(InstanceDir& dir, const std::string& uri);

// The supervisor's own work: adopts the lock (or takes it), waits for the domain to stop (a
// termination signal powers it off; a lost libvirt connection is reopened), then releases the
// instance. Should it fail while the VM may still run, it leaves the instance to crash recovery.
int supervise(const VmName& name, const std::string& uri, SignalCatcher& signals);

} // namespace bcvk
