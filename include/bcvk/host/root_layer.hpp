#pragma once
// The guest's writable layer on a file system of its own: an ext4 in a sparse file of the instance,
// loop-mounted while the VM runs. The kernel then refuses the guest's writes past the file's size
// (ENOSPC in the guest), the host's disk gives at most that much, and the guest's `df /` shows its
// own limit instead of the host's disk.
#include <cstdint>
#include <string>

#include "bcvk/host/process.hpp"
#include "bcvk/util/handle.hpp"

namespace bcvk {

// Creates the sparse file of `bytes` at `image` (never through a link, never over an existing
// file) and makes an empty ext4 in it.
void create_root_layer(const std::string& image, std::uint64_t bytes, ProcessRunner& runner);

// Mounts the file system in `image` at `target` (nosuid, nodev), through a loop device that goes
// away with the mount: unmounting it is all the release needs, and a crash before the mount
// leaves no device behind.
void mount_root_layer(const std::string& image, const std::string& target);

// The file system in `image`, mounted read-only and attached nowhere: reachable only through the
// descriptor returned (its root directory). The mount, and its loop device, go when the descriptor
// is closed, on every path, a kill included: nothing is left for anyone to release.
Fd open_root_layer_read_only(const std::string& image);

// The host bytes `image` takes now (its allocated blocks): what the guest's writes cost the host.
// 0 when it does not exist.
std::uint64_t root_layer_host_bytes(const std::string& image);

} // namespace bcvk
