#pragma once
// Waiting for SSH on a VM that this process has just started and still owns.
#include "bcvk/hypervisor.hpp"
#include "bcvk/instance_owner.hpp"
#include "bcvk/signals.hpp"
#include "bcvk/ssh_session.hpp"

namespace bcvk {

// Where the console log of a removed (--rm) VM that never reached SSH is kept for the user.
std::string rescued_console_log(const std::string& vm_name);

// Returns a ready session, or throws SshNotReady naming a console log that outlives the instance:
// an --rm instance is about to be removed by its owner, so its log is first copied to
// rescued_console_log().
SshSession await_ssh_on_new_vm(const Domain& domain, InstanceOwner& owner, unsigned timeout_seconds,
                               SignalCatcher& signals);

} // namespace bcvk
