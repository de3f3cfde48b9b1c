#pragma once
// What bcvk would have established on a host, fixed, for turning a command line into a domain
// without a host: shared by the argv->XML goldens and the RunConfig->XML fuzzer.
#include <string>

#include "bcvk/vm/plan.hpp"
#include "bcvk/vm/run_options.hpp"

namespace bcvk::golden {

// What bcvk would have established on a host, fixed: the host paths of the command line are
// taken as resolved, a .qcow2 disk is qcow2, the units directory holds one enabled service, a
// --cloud-init seed is for an image with cloud-init, and an Ignition config is the smallest one.
inline LaunchFacts fixed_facts(const RunConfig& c) {
  LaunchFacts f;
  f.name = c.name ? c.name->str() : "golden-vm";
  f.instance_dir = "/var/lib/bcvk/instances/" + f.name;
  f.uri = "qemu:///system";
  f.domain_uuid = "6b1c7a52-3f0e-4d7b-9a61-0c2e5f4d8e17";
  f.created = "2026-11-23T12:00:00Z";
  f.image_id = "4f6e1d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100";
  f.image_digest = "sha256:9c3a5f6e1d2c3b4a59687766554433221100ffeeddccbbaa9988776655443322";
  f.image_repo_digest = "quay.io/example/bootc@" + f.image_digest;
  f.guest_arch = c.registry.arch.empty() ? "amd64" : c.registry.arch; // --arch: the image is of that one
  f.kernel_version = "6.1.0-28-" + f.guest_arch;
  f.systemd_version = 252;
  f.virt_type = "qemu";
  f.backend = NetworkBackend::passt;
  f.ssh_port = c.network.mode == NetworkMode::none ? 0 : 20022;
  f.inputs.binds = c.binds;
  if (c.bind_storage_ro) {
    f.inputs.binds.push_back({"/var/lib/containers/storage", k_storage_mount_name, true, {}});
  }
  for (const auto& disk : c.disks) {
    f.inputs.disks.push_back({disk.path, disk.path.ends_with(".qcow2") ? "qcow2" : "raw", disk.name});
  }
  for (const auto& out : c.serial_outputs) {
    f.inputs.serial_outputs.push_back({out.name, out.path, true});
  }
  if (!c.systemd_units.empty()) {
    f.inputs.units = {{"app.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n", true}};
  }
  if (!c.cloud_init.empty()) {
    f.image_boot.cloud_init = true;
    f.inputs.cloud_init_seed = {{"meta-data", "instance-id: golden\n"}, {"user-data", "#cloud-config\n"}};
  }
  if (!c.ignition.empty()) {
    f.inputs.ignition_config = R"({"ignition": {"version": "3.4.0"}})";
  }
  if (c.ssh_keygen) {
    f.ssh = SshIdentity{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGNsaWVudA bcvk@" + f.name, "PRIVATE HOST KEY",
                        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGhvc3Q root@" + f.name};
  }
  return f;
}

} // namespace bcvk::golden
