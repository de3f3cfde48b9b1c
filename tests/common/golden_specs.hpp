#pragma once
// The representative VmSpecs behind tests/golden/*.xml, shared by unit and integration tests.
#include <ostream>
#include <string>
#include <vector>

#include "bcvk/vm/vm_spec.hpp"

namespace bcvk::golden {

struct NamedSpec {
  std::string name;
  VmSpec spec;
};

inline VmSpec minimal_spec(const std::string& name) {
  VmSpec s;
  s.name = name;
  s.title = "bcvk: localhost/bcvk-test:latest";
  s.description = "Ephemeral VM of localhost/bcvk-test:latest";
  s.virt_type = "kvm";
  s.memory_bytes = 4ULL << 30;
  s.vcpus = 2;
  s.kernel = "/var/lib/bcvk/instances/" + name + "/boot/vmlinuz";
  s.initrd = "/var/lib/bcvk/instances/" + name + "/boot/initramfs.img";
  s.cmdline = "rootfstype=virtiofs root=rootfs rw console=ttyS0";
  s.root_dir = "/var/lib/bcvk/instances/" + name + "/root";
  s.console_log = "/var/lib/bcvk/instances/" + name + "/console.log";
  s.metadata.image = "localhost/bcvk-test:latest";
  s.metadata.image_id = "0123456789abcdef";
  s.metadata.image_digest = "sha256:fedcba9876543210";
  s.metadata.created = "2026-11-22T10:00:00Z";
  s.metadata.instance_dir = "/var/lib/bcvk/instances/" + name;
  return s;
}

inline std::vector<NamedSpec> golden_specs() {
  std::vector<NamedSpec> out;
  out.push_back({"minimal", minimal_spec("bcvk-minimal")});

  VmSpec ssh = minimal_spec("bcvk-ssh");
  ssh.network.ssh_port = 40022;
  ssh.credentials = {{"ssh.authorized_keys.root", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBcvk test@bcvk\n"}};
  ssh.metadata.auto_remove = true;
  ssh.metadata.detached = true;
  out.push_back({"isolated-ssh-credentials", ssh});

  VmSpec passt = minimal_spec("bcvk-passt");
  passt.network = {{NetworkMode::user, ""},
                   NetworkBackend::passt,
                   40023,
                   {{"127.0.0.1", 8080, 80, PortProtocol::tcp}, {"0.0.0.0", 5353, 53, PortProtocol::udp}}};
  out.push_back({"user-network-passt", passt});

  VmSpec user = minimal_spec("bcvk-user");
  user.network = {{NetworkMode::user, ""},
                  NetworkBackend::qemu_user,
                  40024,
                  {{"127.0.0.1", 8080, 80, PortProtocol::tcp}, {"0.0.0.0", 5353, 53, PortProtocol::udp}}};
  out.push_back({"user-network-qemu", user});

  VmSpec none = minimal_spec("bcvk-none");
  none.network.choice.mode = NetworkMode::none;
  out.push_back({"network-none", none});

  VmSpec libvirt_net = minimal_spec("bcvk-libvirt-net");
  libvirt_net.network = {{NetworkMode::libvirt_network, "default"}, NetworkBackend::qemu_user, 40025, {}};
  out.push_back({"libvirt-network-with-ssh", libvirt_net});

  VmSpec bridge = minimal_spec("bcvk-bridge");
  bridge.network = {
      {NetworkMode::bridge, "br0"}, NetworkBackend::qemu_user, 0, {{"127.0.0.1", 8443, 443, PortProtocol::tcp}}};
  out.push_back({"bridge", bridge});

  VmSpec binds = minimal_spec("bcvk-binds");
  binds.shares = {{"/home/user/project", "src", false}, {"/etc/myconfig", "config", true}};
  binds.metadata.mounts = binds.shares;
  out.push_back({"bind-mounts", binds});

  VmSpec disks = minimal_spec("bcvk-disks");
  disks.disks = {{"/tmp/testdisk.raw", "raw", "testdisk"},
                 {"/tmp/data.qcow2", "qcow2", "data"},
                 {"/var/lib/bcvk/instances/bcvk-disks/swap.img", "raw", "bcvk-swap"}};
  out.push_back({"disks-and-swap", disks});

  VmSpec channels = minimal_spec("bcvk-channels");
  channels.channels = {{"org.bcvk.journal", "/var/lib/bcvk/instances/bcvk-channels/journal.log"},
                       {"mylog", "/tmp/my output.txt"}};
  out.push_back({"virtio-serial-outputs", channels});

  VmSpec tcg = minimal_spec("bcvk-tcg");
  tcg.virt_type = "qemu";
  tcg.translation_cache_mib = guest_translation_cache_mib(tcg.virt_type);
  tcg.vcpus = 1;
  tcg.memory_bytes = 512ULL << 20;
  tcg.cmdline += " systemd.unit=poweroff.target foo=bar systemd.run=\"echo hi\"";
  out.push_back({"software-emulation-kargs", tcg});

  // An arm64 guest emulated on another host: virt through UEFI, GICv3, a named CPU, pl011
  // console, the SSH key over fw_cfg, a display with virtio input.
  VmSpec arm = minimal_spec("bcvk-arm64");
  arm.virt_type = "qemu";
  arm.machine = guest_machine("arm64");
  arm.cpu = guest_cpu(arm.machine, arm.virt_type);
  arm.gic_version = guest_gic_version(arm.machine, arm.virt_type);
  arm.translation_cache_mib = guest_translation_cache_mib(arm.virt_type);
  arm.efi_vars = "/var/lib/bcvk/instances/bcvk-arm64/efi-vars.fd";
  arm.cmdline = "rootfstype=virtiofs root=rootfs rw console=tty0 console=ttyAMA0";
  arm.credentials = {{"ssh.authorized_keys.root", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBcvk test@bcvk\n"}};
  arm.network = {{NetworkMode::isolated, ""}, NetworkBackend::qemu_user, 2222, {}};
  arm.disks = {{"/var/lib/bcvk/instances/bcvk-arm64/swap.img", "raw", "bcvk-swap"}};
  arm.graphics = GraphicsMode::vnc;
  arm.metadata.arch = "arm64";
  out.push_back({"arm64-emulated", arm});

  // The same on an arm64 host with KVM: the host's CPU and interrupt controller.
  VmSpec arm_kvm = minimal_spec("bcvk-arm64-kvm");
  arm_kvm.machine = guest_machine("aarch64");
  arm_kvm.cpu = guest_cpu(arm_kvm.machine, arm_kvm.virt_type);
  arm_kvm.gic_version = guest_gic_version(arm_kvm.machine, arm_kvm.virt_type);
  arm_kvm.efi_vars = "/var/lib/bcvk/instances/bcvk-arm64-kvm/efi-vars.fd";
  arm_kvm.cmdline = "rootfstype=virtiofs root=rootfs rw console=ttyAMA0";
  arm_kvm.metadata.arch = "arm64";
  out.push_back({"arm64-kvm", arm_kvm});

  // --ignition: the config as a fw_cfg file QEMU reads from the instance directory, next to the
  // SMBIOS credentials; Ignition's first-boot arguments on the command line.
  VmSpec ignition = minimal_spec("bcvk-ignition");
  ignition.cmdline += " ignition.platform.id=qemu ignition.firstboot";
  ignition.credentials = {{"ssh.authorized_keys.root", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBcvk test@bcvk\n"}};
  ignition.fw_cfg_files = {{"opt/com.coreos/config", "/var/lib/bcvk/instances/bcvk-ignition/ignition.json"}};
  out.push_back({"ignition-fw-cfg", ignition});

  VmSpec esc = minimal_spec("bcvk-escaping");
  esc.title = "bcvk: localhost/ünïcode-image:<tag>&\"'";
  esc.description = "Line one\nLine two with <angle> & 'quotes' and \"double\" — ✓";
  esc.metadata.image = "localhost/ünïcode-image:<tag>&\"'";
  esc.metadata.labels = {{"owner", "Zoë <zoe@example.org>"}, {"note", "a & b\nsecond line"}, {"quote", "it's \"x\""}};
  esc.shares = {{"/srv/with space/and'quote", "data", false}};
  esc.metadata.mounts = esc.shares;
  out.push_back({"escaping", esc});
  return out;
}

// Lets gtest print a parameter by its name instead of its bytes.
inline void PrintTo(const NamedSpec& spec, std::ostream* os) {
  *os << spec.name;
}

// A gtest-safe test name for a spec ("isolated-ssh" -> "isolated_ssh").
template <typename Info> std::string test_name(const Info& param_info) {
  std::string n = param_info.param.name;
  for (auto& c : n) {
    c = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '_';
  }
  return n;
}

} // namespace bcvk::golden
