#pragma once
// Turning a validated RunConfig into a prepared instance: plan, then act.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bcvk/host/hypervisor.hpp"
#include "bcvk/host/host_inputs.hpp"
#include "bcvk/host/image_store.hpp"
#include "bcvk/instance/owner.hpp"
#include "bcvk/vm/run_options.hpp"
#include "bcvk/util/signals.hpp"

namespace bcvk {

struct PreparedInstance {
  std::unique_ptr<InstanceOwner> owner;
  std::string domain_xml;
};

// Facts first: host inputs, the image, the name and SSH port (claimed with the instance
// directory), the image mount, and what the image holds (kernel, systemd version), plus SSH keys.
// Then the pure plan (vm/plan.hpp), then what it lists, in order: boot files (read-only mounts of
// the image's kernel and of the initramfs shared by the image's instances), overlay,
// read-only views, guest files, swap, domain XML (also saved in the instance directory).
// Everything taken is owned by `owner` and recorded in its state.
PreparedInstance prepare_instance(const RunConfig& config, const Connection& conn, ImageStore& store,
                                  ProcessRunner& runner, SignalCatcher& signals);

// Mounts the image, the boot files and the overlay of a kept, stopped instance again (for
// `ephemeral start`), after clearing its released marker; the instance directory is opened to
// `hypervisor_user` (Connection::hypervisor_user) alone, whatever an older bcvk left.
void remount_instance(InstanceOwner& owner, ImageStore& store, unsigned hypervisor_user);

} // namespace bcvk
