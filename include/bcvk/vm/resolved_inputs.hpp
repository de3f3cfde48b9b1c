#pragma once
// The host paths of the command line once checked and resolved (see host/host_inputs.hpp): what the
// planner may rely on without looking at the host again.
#include <string>
#include <vector>

#include "bcvk/vm/cloud_init_seed.hpp"
#include "bcvk/vm/run_options.hpp"
#include "bcvk/vm/vm_spec.hpp"

namespace bcvk {

inline constexpr const char* k_storage_mount_name = "hoststorage";
inline constexpr const char* k_swap_serial = "bcvk-swap";

// A file of the --systemd-units directory, read once at validation time (never again from the
// host, so nothing can swap it for a link afterwards).
struct UnitFile {
  std::string path; // relative to system/, e.g. "app.service" or "app.service.d/override.conf"
  std::string content;
  bool enable = false; // a top-level unit whose [Install] section is honoured
};

struct HostInputs {
  std::vector<BindSpec> binds;               // absolute host paths; --bind-storage-ro included
  std::vector<DiskAttachment> disks;         // absolute paths with their detected format
  std::vector<ChannelOutput> serial_outputs; // absolute host paths, appended to
  std::vector<UnitFile> units;               // --systemd-units DIR/system, read and checked
  std::vector<SeedFile> cloud_init_seed;     // --cloud-init DIR, read and checked
  std::string ignition_config;               // --ignition FILE, read and checked ("" without)
};

} // namespace bcvk
