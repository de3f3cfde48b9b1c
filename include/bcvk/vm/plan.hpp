#pragma once
// Planning a VM: the validated options plus the facts bcvk established on the host -> everything
// that will be made for it. Pure: no clock, no randomness, no I/O; the same inputs always give the
// same plan, which is what the argv-to-XML golden tests pin down.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bcvk/vm/guest_files.hpp"
#include "bcvk/vm/image_kargs.hpp"
#include "bcvk/vm/instance_layout.hpp"
#include "bcvk/vm/instance_record.hpp"
#include "bcvk/vm/resolved_inputs.hpp"
#include "bcvk/vm/run_options.hpp"
#include "bcvk/vm/vm_spec.hpp"

namespace bcvk {

// The SSH identities made for the VM (-K): read back as text.
struct SshIdentity {
  std::string client_public; // becomes root's authorized key in the guest
  std::string host_private;  // the guest sshd's host key
  std::string host_public;
};

// What bcvk decided or read on the host before planning.
struct LaunchFacts {
  std::string name;
  std::string instance_dir;
  std::string uri;
  std::string domain_uuid; // generated for the new domain (random_uuid)
  std::string created;     // RFC 3339, UTC
  std::string image_id;
  std::string image_digest;
  std::string image_repo_digest;
  std::string guest_arch = "amd64"; // podman's name: the image's architecture (guest_architecture)
  std::string kernel_version;
  int systemd_version = 0;
  std::string root_home = "root";                     // root's home in the image, resolved inside it (root_home_in)
  ImageBootFacts image_boot;                          // kargs.d, SELinux, cloud-init
  std::string virt_type = "kvm";                      // or "qemu" without hardware acceleration
  bool libvirt_sizes_tcg_cache = true;                // libvirt >= 8.0 knows <tcg><tb-cache>
  InitramfsChoice initramfs = InitramfsChoice::image; // --initramfs, or the default for the guest
  NetworkBackend backend = NetworkBackend::qemu_user;
  unsigned ssh_port = 0; // the loopback port claimed for the SSH forward; 0 without network
  HostInputs inputs;
  std::optional<SshIdentity> ssh;
};

struct InstancePlan {
  InstanceRecord record;                      // saved in the instance directory
  VmSpec spec;                                // the domain (render_domain_xml)
  std::vector<GuestFile> guest_files;         // written into the overlay before the first boot
  std::vector<std::string> guest_removals;    // removed from the overlay before guest_files are written
  std::optional<std::string> ignition_config; // written to InstanceLayout::ignition_config_file()
  std::vector<BindSpec> read_only_views;      // host directories bind-mounted read-only below ro/
  std::optional<std::uint64_t> swap_bytes;    // a swap file at InstanceLayout::swap_file()
};

// The record of the instance: what bcvk saves, lists and shows.
InstanceRecord instance_record(const RunConfig& config, const LaunchFacts& facts);

// bcvk's <metadata> in the domain: a view of the record.
InstanceMetadata metadata_view(const InstanceRecord& record, const std::string& instance_dir,
                               const std::vector<FsShare>& shares);

// Throws UsageError when the image's and the user's kernel arguments together are too long.
InstancePlan plan_instance(const RunConfig& config, const LaunchFacts& facts);

} // namespace bcvk
