#pragma once
// The one record of what bcvk knows about a VM. The instance directory saves it (with the state of
// the resources held, see instance_dir.hpp); ps and inspect show it; the domain's <metadata> is a
// view of it (see metadata_view()).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bcvk/vm/initramfs_choice.hpp"
#include "bcvk/vm/run_options.hpp"

namespace bcvk {

struct InstanceRecord {
  std::string name;
  std::string image;
  std::string image_id;
  // The manifest digest the image was resolved to ("sha256:..."), and where it came from as a
  // reference that names exactly it ("quay.io/fedora/fedora-bootc@sha256:...") when a registry
  // served it; empty for an image built locally or for an instance kept by an older bcvk.
  std::string image_digest;
  std::string image_repo_digest;
  // The guest's architecture, podman's name ("amd64", "arm64"): the image's own. Empty for an
  // instance kept by an older bcvk, which booted only the host's.
  std::string arch;
  std::string created; // RFC 3339, UTC
  std::string uri;
  // The UUID of the libvirt domain made for the instance (given before it is created): the domain
  // bcvk acts on is the one with the instance's name and this UUID, on `uri`; never another domain
  // that carries the name. Empty for an instance kept by an older bcvk (the name alone then).
  std::string domain_uuid;
  bool auto_remove = false;
  bool detached = false;
  std::string kernel_version;
  int systemd_version = 0;
  std::uint64_t memory_bytes = 0;
  unsigned vcpus = 0;
  // The size of the file system that holds what the guest writes (InstanceLayout::root_image); 0
  // for an instance kept by an older bcvk, whose writes go straight to the state directory.
  std::uint64_t root_size_bytes = 0;
  // How the VM boots (--initramfs); the image's own for an instance kept by an older bcvk.
  InitramfsChoice initramfs = InitramfsChoice::image;
  unsigned ssh_port = 0;          // 0: no SSH forward
  std::vector<PortForward> ports; // --port forwards
  std::vector<KeyValue> labels;
  // Host directories shared read-only: re-created as read-only bind mounts on every start.
  std::vector<BindSpec> read_only_binds;
  // The other host paths the domain uses, resolved: checked again before every start.
  std::vector<BindSpec> read_write_binds;
  std::vector<DiskFileSpec> disks;
  std::vector<SerialOutSpec> serial_outputs;
  // Every path bcvk itself put into the guest's root, relative to it: files and links it wrote,
  // entries it removed, and root's authorized_keys that systemd writes from bcvk's credential.
  // None of them is the guest's own change (`ephemeral commit` leaves them out). nullopt for an
  // instance kept by an older bcvk, which recorded none and mounted its overlay with the kernel's
  // defaults (UpperFormat).
  std::optional<std::vector<std::string>> placed_paths;
};

} // namespace bcvk
