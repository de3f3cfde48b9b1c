// The machine each guest architecture gets, and what follows from it for the command line.
#include <gtest/gtest.h>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/guest_machine.hpp"
#include "bcvk/vm/kernel_cmdline.hpp"

using namespace bcvk;

TEST(GuestMachine, X86GuestsKeepQ35SmbiosAndTheLegacySerialPort) {
  const GuestMachine m = guest_machine("x86_64");
  EXPECT_EQ(m, guest_machine("amd64")) << "either spelling";
  EXPECT_EQ(m.qemu_arch, "x86_64");
  EXPECT_EQ(m.machine, "q35");
  EXPECT_EQ(m.console, "ttyS0");
  EXPECT_EQ(m.credentials, CredentialChannel::smbios);
  EXPECT_FALSE(m.uefi);
  EXPECT_TRUE(m.early_modules.empty());
  EXPECT_EQ(guest_cpu(m, "qemu"), "") << "libvirt's default, as always";
  EXPECT_EQ(guest_cpu(m, "kvm"), "");
  EXPECT_EQ(guest_gic_version(m, "kvm"), "");
}

TEST(GuestMachine, Arm64GuestsGetVirtUefiFwCfgCredentialsAndA64BitCpu) {
  const GuestMachine m = guest_machine("aarch64");
  EXPECT_EQ(m, guest_machine("arm64"));
  EXPECT_EQ(m.qemu_arch, "aarch64");
  EXPECT_EQ(m.machine, "virt");
  EXPECT_EQ(m.console, "ttyAMA0");
  EXPECT_EQ(m.serial_model, "pl011");
  EXPECT_TRUE(m.uefi) << "ACPI, and with it the power button, comes from UEFI on aarch64";
  EXPECT_EQ(m.credentials, CredentialChannel::fw_cfg);
  EXPECT_EQ(m.early_modules, std::vector<std::string>{"qemu_fw_cfg"});
  EXPECT_EQ(m.emulator_package, "qemu-system-arm");
  EXPECT_EQ(m.firmware_package, "qemu-efi-aarch64");
  EXPECT_EQ(guest_cpu(m, "qemu"), k_emulated_arm64_cpu) << "virt's default CPU is 32-bit";
  EXPECT_EQ(guest_cpu(m, "kvm"), "host-passthrough");
  EXPECT_EQ(guest_gic_version(m, "qemu"), "3");
  EXPECT_EQ(guest_gic_version(m, "kvm"), "host") << "a GICv2 host cannot give its guests a GICv3";
}

TEST(GuestMachine, OtherArchitecturesHaveNone) {
  EXPECT_THROW(guest_machine("s390x"), Error);
  EXPECT_THROW(guest_machine("riscv64"), Error);
  EXPECT_THROW(guest_machine(""), Error);
}

TEST(GuestMachine, TheSerialConsoleIsTheMachinesAndStaysLast) {
  EXPECT_EQ(kernel_cmdline({"quiet"}, false, guest_machine("arm64").console),
            "rootfstype=virtiofs root=rootfs rw console=ttyAMA0 quiet");
  EXPECT_EQ(kernel_cmdline({}, true, guest_machine("arm64").console),
            "rootfstype=virtiofs root=rootfs rw console=tty0 console=ttyAMA0")
      << "the display first, so the serial console stays /dev/console";
  EXPECT_EQ(kernel_cmdline({}, true), "rootfstype=virtiofs root=rootfs rw console=tty0 console=ttyS0");
}

TEST(GuestMachine, AMissingEmulatorOrFirmwareNamesThePackage) {
  const GuestMachine arm = guest_machine("arm64");
  EXPECT_EQ(missing_emulator_message("r/os:1", arm,
                                     "unsupported configuration: Emulator '/usr/bin/qemu-system-aarch64' does not "
                                     "support arch 'aarch64'"),
            "IMAGE: r/os:1 is an arm64 image and libvirt finds no qemu-system-aarch64 for its 'virt' machine "
            "(unsupported configuration: Emulator '/usr/bin/qemu-system-aarch64' does not support arch 'aarch64'): "
            "install the Debian package qemu-system-arm and restart libvirtd");
  EXPECT_EQ(missing_firmware_message("r/os:1", arm),
            "IMAGE: r/os:1 is an arm64 image, booted through UEFI, and libvirt finds no UEFI firmware for aarch64 "
            "guests: install the Debian package qemu-efi-aarch64 and restart libvirtd");
  EXPECT_EQ(missing_emulator_message("r/\x1b[2Jos", guest_machine("amd64"), "x\ny").find('\n'), std::string::npos)
      << "one line whatever libvirt or the image name holds";
}
