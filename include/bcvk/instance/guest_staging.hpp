#pragma once
// Preparing what the guest finds at boot, in the instance's own directory and overlay: read-only
// views of shared directories, the swap file, and the units that mount, swap, stream and execute.
#include <string>
#include <vector>

#include "bcvk/host/host_inputs.hpp"
#include "bcvk/instance/instance_dir.hpp"
#include "bcvk/host/process.hpp"
#include "bcvk/vm/run_options.hpp"
#include "bcvk/vm/vm_spec.hpp"

namespace bcvk {

// Bind-mounts each read-only share read-only below the instance directory (where release finds
// and unmounts it), so the guest cannot write through it whatever it mounts.
void mount_read_only_views(const InstanceDir& dir, const std::vector<BindSpec>& binds);

// The virtiofs shares of the binds: read-write ones directly, read-only ones through their views.
std::vector<FsShare> shares_for(const InstanceDir& dir, const std::vector<BindSpec>& binds);

// Creates the sparse swap file of `bytes` in the instance directory and formats it on the host.
DiskAttachment create_swap(const InstanceDir& dir, std::uint64_t bytes, ProcessRunner& runner);

// Writes every unit and script the guest needs into the mounted overlay at dir.root_dir().
void stage_guest_files(const InstanceDir& dir, const RunConfig& config, const HostInputs& inputs);

// The host files behind the journal port and the user's serial outputs.
std::vector<ChannelOutput> standard_channels(const InstanceDir& dir, const HostInputs& inputs);

} // namespace bcvk
