#pragma once
// Waiting for SSH on a VM that this process has just started and still owns.
#include <optional>

#include "bcvk/host/hypervisor.hpp"
#include "bcvk/instance/owner.hpp"
#include "bcvk/util/signals.hpp"
#include "bcvk/ssh/readiness.hpp"
#include "bcvk/ssh/session.hpp"
#include "bcvk/vm/ssh_wait.hpp"

namespace bcvk {

// Copies the console log of an instance about to be removed (--rm) into a new, unpredictably
// named file in the temporary directory (bcvk-console-NAME-XXXXXX.log, 0600) and returns its path.
std::string rescue_console_log(const InstanceDir& dir);

// What waiting for SSH on the instance's running `domain` watches: the domain's state, the sizes of
// its console and journal logs (progress), libvirt's log (a crash of QEMU), within `limits`.
ReadinessCheck readiness_check_for(const Domain& domain, const InstanceLayout& dir, const SshWaitLimits& limits);

// Returns a ready session, or throws SshNotReady naming a console log that outlives the instance:
// an --rm instance is about to be removed by its owner, so its log is first copied by
// rescue_console_log().
// `hard_cap_seconds` is --ssh-timeout when given; the limits come from ssh_wait_limits(), by
// whether the domain is emulated. A VM whose QEMU crashed is reported as such, with libvirt's line.
SshSession await_ssh_on_new_vm(const Domain& domain, InstanceOwner& owner, std::optional<unsigned> hard_cap_seconds,
                               SignalCatcher& signals);

} // namespace bcvk
