#pragma once
// Host files and directories named on the command line, checked and resolved before anything is
// created, so bad input fails with one clear line and leaves nothing behind.
#include <string>
#include <vector>

#include "bcvk/image_store.hpp"
#include "bcvk/process.hpp"
#include "bcvk/run_options.hpp"
#include "bcvk/vm_spec.hpp"

namespace bcvk {

inline constexpr const char* k_storage_mount_name = "hoststorage";
inline constexpr const char* k_swap_serial = "bcvk-swap";

struct HostInputs {
  std::vector<BindSpec> binds;               // absolute host paths; --bind-storage-ro included
  std::vector<DiskAttachment> disks;         // absolute paths with their detected format
  std::vector<ChannelOutput> serial_outputs; // absolute host paths
  std::string units_dir;                     // absolute DIR/system, or empty
};

// Checks that every host path exists and is of the right kind, resolves it, and detects disk
// formats. Throws UsageError naming the option and the path.
HostInputs resolve_host_inputs(const RunConfig& config, ProcessRunner& runner, ImageStore& store);

// The "format" of `qemu-img info --output=json` (pure).
std::string parse_qemu_img_format(const std::string& json);

} // namespace bcvk
