#pragma once
// Turning a validated RunConfig into a prepared instance: plan, then act.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bcvk/host/hypervisor.hpp"
#include "bcvk/host/image_store.hpp"
#include "bcvk/instance/owner.hpp"
#include "bcvk/vm/run_options.hpp"
#include "bcvk/util/signals.hpp"

namespace bcvk {

struct PreparedInstance {
  std::unique_ptr<InstanceOwner> owner;
  std::string domain_xml;
};

// Establishes the facts (host inputs, image, name, SSH port, boot files and systemd of the image),
// plans the VM (plan.hpp), then takes what the plan lists in order: instance directory, image mount,
// kernel copies, overlay, read-only views, guest files, swap, domain XML (also saved in the
// instance directory). Everything taken is owned by `owner` and recorded in its state.
PreparedInstance prepare_instance(const RunConfig& config, const Connection& conn, ImageStore& store,
                                  ProcessRunner& runner, SignalCatcher& signals);

// Mounts the image and the overlay of a kept, stopped instance again (for `ephemeral start`).
void remount_instance(InstanceOwner& owner, ImageStore& store);

} // namespace bcvk
