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

// What waiting for SSH on the instance's running `domain` (made on libvirt `uri`) watches: the
// domain's state, the guest's logs (progress), libvirt's log (a crash of QEMU), within the limits
// of ssh_wait_limits() for `hard_cap_seconds` (--ssh-timeout) and whether the domain is emulated.
ReadinessCheck readiness_check_for(const Domain& domain, const InstanceLayout& dir, const std::string& uri,
                                   std::optional<unsigned> hard_cap_seconds);

// Returns a ready session, or throws SshNotReady naming a console log that outlives the instance:
// an --rm instance is about to be removed by its owner, so its log is first copied
// (console_log_to_name in guest_watch.hpp).
// A VM whose QEMU crashed is reported as such, with libvirt's line.
SshSession await_ssh_on_new_vm(const Domain& domain, InstanceOwner& owner, std::optional<unsigned> hard_cap_seconds,
                               SignalCatcher& signals);

} // namespace bcvk
