#pragma once
// Host-side effects that furnish an instance directory for its guest: read-only views of shared
// directories and the swap file.
#include <cstdint>
#include <string>
#include <vector>

#include "bcvk/host/image_store.hpp"
#include "bcvk/host/process.hpp"
#include "bcvk/vm/instance_layout.hpp"
#include "bcvk/vm/run_options.hpp"

namespace bcvk {

// Bind-mounts each read-only share read-only at layout.read_only_view(name) (where release finds
// and unmounts it), so the guest cannot write through it whatever it mounts; the container storage
// (--bind-storage-ro) as the view of `store`'s image and layer stores alone (mount_storage_view).
void mount_read_only_views(const InstanceLayout& layout, const std::vector<BindSpec>& binds, ImageStore& store);

// Lets QEMU, running as libvirt's unprivileged `user`, reach the files it opens itself below the
// instance (kernel, initramfs, swap) and nobody else in: the instance directory and boot/ become
// root's, 0700 plus an ACL that lets `user` alone traverse them, not list them (user 0: root alone).
// A user and not QEMU's group, which can hold people (`kvm` on many hosts). Other users can then
// neither read the boot files of a private image nor hold one open (or sit in the directory) to
// keep a stopped VM's storage from being released.
void open_to_hypervisor(const InstanceLayout& layout, unsigned user);

// Creates a sparse file of `bytes` at `path` (0600; never through a link, never over an existing
// file) and runs `format` with "-- PATH" appended on it; `what` names the file in errors.
void create_formatted_file(const std::string& path, std::uint64_t bytes, const std::string& what,
                           std::vector<std::string> format, ProcessRunner& runner);

// Creates the sparse swap file of `bytes` at `path` (never through a link) and formats it.
void create_swap(const std::string& path, std::uint64_t bytes, ProcessRunner& runner);

} // namespace bcvk
