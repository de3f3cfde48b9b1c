#pragma once
// The virtual machine bcvk gives a guest of each architecture it boots: what differs between an
// x86_64 and an aarch64 guest, as data the domain XML, the kernel command line and the initramfs
// add-on read. Pure.
#include <string>
#include <string_view>
#include <vector>

namespace bcvk {

// How systemd credentials reach the guest. SMBIOS tables come from firmware: SeaBIOS on x86 builds
// them; on aarch64 they depend on what the UEFI firmware makes of QEMU's, so credentials travel
// over QEMU's fw_cfg instead, which systemd reads itself (opt/io.systemd.credentials/NAME under
// /sys/firmware/qemu_fw_cfg) with or without firmware.
enum class CredentialChannel { smbios, fw_cfg };

struct GuestMachine {
  std::string arch{};          // podman's name: amd64, arm64
  std::string qemu_arch{};     // libvirt's and the kernel's: x86_64, aarch64
  std::string machine{};       // QEMU machine type: q35, virt
  std::string console{};       // the serial console in the guest: ttyS0, ttyAMA0
  std::string serial_target{}; // libvirt's serial target type: isa-serial, system-serial
  std::string serial_model{};  // isa-serial, pl011
  // The guest's kernel is still booted directly, but through UEFI firmware (libvirt picks one
  // without Secure Boot; its variables live in the instance directory): an aarch64 kernel gets
  // ACPI tables only from UEFI, and without ACPI the power button is a device-tree GPIO key that
  // many kernels (Debian's cloud kernel among them) have no driver for, so a stop would always
  // end in a forced power-off.
  bool uefi = false;
  std::string firmware_package{}; // the Debian package with that firmware
  std::string gic_version{};      // virt's interrupt controller when emulated; empty elsewhere
  CredentialChannel credentials = CredentialChannel::smbios;
  // No PS/2 on virt: a display needs a keyboard and a tablet on virtio.
  bool display_needs_virtio_input = false;
  std::string emulator_package{}; // the Debian package with QEMU for this architecture
  std::string emulator_binary{};  // QEMU's program for it, as named in messages
  // Modules the initramfs add-on loads besides virtiofs's: the fw_cfg driver, so that systemd
  // finds credentials once the initramfs hands over (Debian builds it as a module).
  std::vector<std::string> early_modules{};
  bool operator==(const GuestMachine&) const = default;
};

// The machine for a guest of `arch` (podman's or the kernel's name). Throws Error for an
// architecture bcvk does not boot (see is_bootable_architecture).
GuestMachine guest_machine(std::string_view arch);

// The <cpu> a guest gets: "" leaves libvirt's default, "host-passthrough" the host's own CPU,
// anything else a named QEMU model. An emulated aarch64 guest needs a 64-bit model (virt's own
// default is a 32-bit Cortex-A15); see k_emulated_arm64_cpu.
std::string guest_cpu(const GuestMachine& machine, const std::string& virt_type);

// Why `image` cannot boot on this host: libvirt has no QEMU for its machine (`libvirt_message`
// says what libvirt found), or no UEFI firmware where the machine needs one. One line each, naming
// the Debian package to install.
std::string missing_emulator_message(const std::string& image, const GuestMachine& machine,
                                     const std::string& libvirt_message);
std::string missing_firmware_message(const std::string& image, const GuestMachine& machine);

// The interrupt controller's version: the host's own under KVM (a GICv2 host cannot give a guest a
// GICv3), the machine's under emulation; "" for a machine without one.
std::string guest_gic_version(const GuestMachine& machine, const std::string& virt_type);

// What QEMU keeps of the code TCG translated for an emulated guest (libvirt's <tcg><tb-cache>), in
// MiB; 0 (QEMU's own default, 1 GiB on a 64-bit host) under KVM, which translates nothing. Chosen
// by measurement (scripts/bench-boot-defaults, docs/benchmarks.md): the cache is most of an idle
// emulated VM's host memory, and a smaller one costs boot time in retranslations.
inline constexpr unsigned k_emulated_translation_cache_mib = 64;
unsigned guest_translation_cache_mib(const std::string& virt_type);

// The CPU model emulated aarch64 guests get, chosen by boot time under TCG (scripts/bench-arm64).
inline constexpr const char* k_emulated_arm64_cpu = "cortex-a72";

} // namespace bcvk
