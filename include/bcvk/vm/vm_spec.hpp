#pragma once
// Everything needed to describe one VM to libvirt, fully resolved: no I/O happens past this point.
#include <cstdint>
#include <string>
#include <vector>

#include "bcvk/vm/guest_machine.hpp"
#include "bcvk/vm/run_options.hpp"

namespace bcvk {

// A host directory shared into the guest over virtiofs.
struct FsShare {
  std::string host_dir;
  std::string tag;
  bool read_only = false;
  bool operator==(const FsShare&) const = default;
};

// A file attached as a virtio-blk disk; `serial` becomes /dev/disk/by-id/virtio-<serial>.
struct DiskAttachment {
  std::string path;
  std::string format = "raw"; // raw or qcow2
  std::string serial;
};

// A systemd credential, handed over as the machine's CredentialChannel says.
struct Credential {
  std::string name;
  std::string value; // raw bytes; encoded as base64 in the XML
};

// A host file QEMU hands the guest as a fw_cfg file (an Ignition config): the guest reads it at
// /sys/firmware/qemu_fw_cfg/by_name/NAME/raw.
struct FwCfgFile {
  std::string name; // e.g. opt/com.coreos/config
  std::string path;
  bool operator==(const FwCfgFile&) const = default;
};

// A virtio-serial port whose guest output lands in a host file.
struct ChannelOutput {
  std::string name;
  std::string path;
  bool append = true; // false: the file starts empty at every boot
};

enum class NetworkBackend { qemu_user, passt };

struct NetworkSpec {
  NetworkChoice choice;
  NetworkBackend backend = NetworkBackend::qemu_user;
  unsigned ssh_port = 0; // 0: no SSH forward
  std::vector<PortForward> ports;
};

// bcvk's own record inside the domain, readable by any later command (and by humans in virsh dumpxml).
struct InstanceMetadata {
  std::string image;
  std::string image_id;
  std::string image_digest;
  std::string image_repo_digest;
  std::string arch;    // podman's name of the guest's architecture
  std::string created; // RFC 3339, UTC
  std::string instance_dir;
  bool auto_remove = false;
  bool detached = false;
  std::vector<KeyValue> labels;
  std::vector<FsShare> mounts;
};

struct VmSpec {
  std::string name;
  std::string uuid; // empty: libvirt picks one
  std::string title;
  std::string description;
  std::string virt_type = "kvm"; // kvm, or qemu for software emulation
  GuestMachine machine = guest_machine("amd64");
  std::string cpu;                    // guest_cpu(): "" for libvirt's default
  std::string gic_version;            // guest_gic_version(): "" for a machine without a GIC
  unsigned translation_cache_mib = 0; // TCG's translation cache; 0: QEMU's default
  std::string efi_vars;               // the UEFI variable store, when the machine boots through UEFI
  std::uint64_t memory_bytes = 0;
  unsigned vcpus = 1;
  std::string kernel;
  std::string initrd;
  std::string cmdline;
  std::string root_dir;
  std::vector<FsShare> shares;
  std::vector<DiskAttachment> disks;
  std::vector<Credential> credentials;
  std::vector<FwCfgFile> fw_cfg_files;
  std::string console_log;
  std::vector<ChannelOutput> channels;
  NetworkSpec network;
  GraphicsMode graphics = GraphicsMode::none;
  InstanceMetadata metadata;
};

} // namespace bcvk
