#pragma once
// Turning a validated RunConfig into a prepared instance and a running domain.
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

// The --execute ports and the host files they write to, in stdout, stderr, status order.
std::vector<std::pair<std::string, std::string>> execute_ports(const InstanceDir& dir);

struct PreparedInstance {
  std::unique_ptr<InstanceOwner> owner;
  std::string domain_xml;
};

// Claims the name, mounts the image, finds its kernel, builds the copy-on-write root and renders
// the domain XML (also saved in the instance directory). Everything taken is owned by `owner`.
PreparedInstance prepare_instance(const RunConfig& config, const Connection& conn, ImageStore& store,
                                  ProcessRunner& runner, SignalCatcher& signals);

// Mounts the image and the overlay of a kept, stopped instance again (for `ephemeral start`).
void remount_instance(InstanceOwner& owner, ImageStore& store);

} // namespace bcvk
