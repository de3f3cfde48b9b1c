#include "bcvk/vm/guest_machine.hpp"

#include "bcvk/util/error.hpp"
#include "bcvk/vm/architecture.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {

GuestMachine guest_machine(std::string_view arch) {
  const std::string name = canonical_architecture(arch);
  if (name == "amd64") {
    return {.arch = "amd64",
            .qemu_arch = "x86_64",
            .machine = "q35",
            .console = "ttyS0",
            .serial_target = "isa-serial",
            .serial_model = "isa-serial",
            .emulator_package = "qemu-system-x86",
            .emulator_binary = "qemu-system-x86_64"};
  }
  if (name == "arm64") {
    return {.arch = "arm64",
            .qemu_arch = "aarch64",
            .machine = "virt",
            .console = "ttyAMA0",
            .serial_target = "system-serial",
            .serial_model = "pl011",
            .uefi = true,
            .firmware_package = "qemu-efi-aarch64",
            .gic_version = "3",
            .credentials = CredentialChannel::fw_cfg,
            .display_needs_virtio_input = true,
            .emulator_package = "qemu-system-arm",
            .emulator_binary = "qemu-system-aarch64",
            .early_modules = {"qemu_fw_cfg"}};
  }
  throw Error("bcvk cannot boot " + printable(std::string(arch)) + " guests (only amd64 and arm64)");
}

std::string missing_emulator_message(const std::string& image, const GuestMachine& machine,
                                     const std::string& libvirt_message) {
  return "IMAGE: " + printable(image) + " is an " + machine.arch + " image and libvirt finds no " +
         machine.emulator_binary + " for its '" + machine.machine + "' machine (" + printable(libvirt_message) +
         "): install the Debian package " + machine.emulator_package + " and restart libvirtd";
}

std::string missing_firmware_message(const std::string& image, const GuestMachine& machine) {
  return "IMAGE: " + printable(image) + " is an " + machine.arch +
         " image, booted through UEFI, and libvirt finds no UEFI firmware for " + machine.qemu_arch +
         " guests: install the Debian package " + machine.firmware_package + " and restart libvirtd";
}

std::string guest_gic_version(const GuestMachine& machine, const std::string& virt_type) {
  if (machine.gic_version.empty()) {
    return "";
  }
  return virt_type == "kvm" ? "host" : machine.gic_version;
}

unsigned guest_translation_cache_mib(const std::string& virt_type) {
  return virt_type == "qemu" ? k_emulated_translation_cache_mib : 0;
}

std::string guest_cpu(const GuestMachine& machine, const std::string& virt_type) {
  if (machine.arch != "arm64") {
    return "";
  }
  return virt_type == "kvm" ? "host-passthrough" : k_emulated_arm64_cpu;
}

} // namespace bcvk
