#pragma once
// Host files and directories named on the command line, checked and resolved before anything is
// created, so bad input fails with one clear line and leaves nothing behind. bcvk runs as root:
// none of these may steer it into its own state, a kernel pseudo file system, or through a link.
#include <string>
#include <utility>
#include <vector>

#include "bcvk/host/image_store.hpp"
#include "bcvk/vm/instance_record.hpp"
#include "bcvk/vm/resolved_inputs.hpp"
#include "bcvk/host/process.hpp"
#include "bcvk/vm/run_options.hpp"
#include "bcvk/vm/vm_spec.hpp"

namespace bcvk {

// Checks that every host path exists and is of the right kind, resolves it, and detects disk
// formats. Throws UsageError naming the option and the path.
HostInputs resolve_host_inputs(const RunConfig& config, ProcessRunner& runner, ImageStore& store);

// The registry credentials file a pull would use (--authfile, else $REGISTRY_AUTH_FILE) is a
// readable regular file, as podman itself checks before it starts. Throws UsageError.
void check_registry_auth(const RegistryAccess& access);

// Reads the units of `system_dir`: regular files and real subdirectories only (a link, device or
// FIFO is refused, never followed); [Install] targets must be unit names. Throws UsageError.
std::vector<UnitFile> read_unit_dir(const std::string& system_dir);

// Reads the NoCloud seed files of `dir` (--cloud-init) and checks them (check_cloud_init_seed):
// regular files only, never through a link. Throws UsageError.
std::vector<SeedFile> read_cloud_init_seed(const std::string& dir);

// Reads and checks the Ignition config `file` (--ignition). Throws UsageError.
std::string read_ignition_config(const std::string& file);

// Checks the host paths of a kept instance again before it boots again: libvirt opens them anew,
// and what was safe when the VM was made may not be now. Throws UsageError as resolve_host_inputs.
void recheck_host_inputs(const InstanceRecord& state, ProcessRunner& runner);

// What `qemu-img info --output=json` says about a disk image (pure).
struct DiskImageInfo {
  std::string format;        // "unknown" when unreadable
  std::string external_file; // a backing file or external data file it refers to, if any
};
DiskImageInfo parse_qemu_img_info(const std::string& json);

} // namespace bcvk
