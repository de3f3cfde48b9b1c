// What bcvk tells while a guest boots and when it never becomes reachable.
#include <gtest/gtest.h>

#include "bcvk/vm/boot_progress.hpp"

using namespace bcvk;

namespace {

const char* const k_journal =
    "Nov 24 10:00:01.000001 bcvk-test kernel: Linux version 6.1.0\n"
    "Nov 24 10:00:05.000002 bcvk-test systemd[1]: Starting systemd-networkd.service - Network Configuration...\n"
    "Nov 24 10:00:06.000003 bcvk-test systemd[1]: Started systemd-networkd.service - Network Configuration.\n"
    "Nov 24 10:00:07.000004 bcvk-test systemd-networkd[201]: enp0s16: Gained carrier\n"
    "Nov 24 10:00:08.000005 bcvk-test systemd[1]: Reached target network.target - Network.\n"
    "Nov 24 10:00:09.000006 bcvk-test sshd[300]: Server listening on 0.0.0.0 port 22.\n";

} // namespace

TEST(BootProgress, TheLatestSystemdStepWins) {
  EXPECT_EQ(latest_boot_step(k_journal), "reached network.target - Network");
  EXPECT_EQ(latest_boot_step(""), "");
  EXPECT_EQ(latest_boot_step("Nov 24 host kernel: nothing from systemd\n"), "");
  EXPECT_EQ(latest_boot_step("x systemd[1]: Starting a-very-long-unit-name-that-goes-on-and-on.service - "
                             "Something With A Long Description...\n",
                             40),
            "starting a-very-long-unit-name-that-g...");
  EXPECT_EQ(latest_boot_step("x systemd[1]: Started \x1b[31mevil\x07.\n"), "started evil?")
      << "the guest's control characters never reach the terminal; its colours are dropped";
  EXPECT_EQ(latest_boot_step("x systemd[1]: Started \x1b]0;title\x07 \x1b[1\x1b[2J.\n"), "started  ?")
      << "a title string is dropped whole; a sequence cut short by another shows as '?'";
  EXPECT_EQ(latest_boot_step("x systemd[1]: Started caf\xc3\xa9.\n"), "started caf??") << "ASCII only";
}

TEST(BootProgress, TailKeepsTheLastNonEmptyLinesIndented) {
  EXPECT_EQ(tail_lines("a\n\nb\r\nc\n", 2), "  b\n  c");
  EXPECT_EQ(tail_lines("", 15), "");
  EXPECT_EQ(tail_lines("only", 15), "  only");
}

TEST(BootProgress, TheMostTellingFailureIsNamed) {
  EXPECT_EQ(likely_boot_failure(k_journal, ""), "");
  const std::string journal =
      std::string(k_journal) +
      "Nov 24 10:01:00.1 h systemd[1]: Failed to start ssh.service - OpenBSD Secure Shell.\n"
      "Nov 24 10:01:30.1 h systemd[1]: Timed out waiting for device dev-vdb.device - /dev/vdb.\n";
  EXPECT_EQ(likely_boot_failure(journal, ""), "Timed out waiting for device dev-vdb.device - /dev/vdb.");
  EXPECT_EQ(likely_boot_failure("", "[   9.1] Kernel panic - not syncing: VFS: Unable to mount root fs\n"),
            "[   9.1] Kernel panic - not syncing: VFS: Unable to mount root fs");
  EXPECT_EQ(likely_boot_failure("", "[   1.8] virtio_pci 0000:00:01.0: enabled\n"
                                    "bcvk-init: cannot mount the virtiofs root 'rootfs': Invalid argument\n"
                                    "[   1.9] bcvk-init: cannot mount the virtiofs root 'rootfs': Invalid argument\n"
                                    "[   2.0] reboot: Power down\n"),
            "bcvk-init: cannot mount the virtiofs root 'rootfs': Invalid argument")
      << "the minimal initramfs's reason, from its name on";
  EXPECT_EQ(likely_boot_failure("", "[   1.9] bcvk-init: root mounted in 0.107 s; starting the image's init\n"), "")
      << "its line of success is no failure";
  EXPECT_EQ(likely_boot_failure("", "You are in emergency mode. After logging in, type \"journalctl -xb\"\n"),
            "You are in emergency mode. After logging in, type \"journalctl -xb\"");
}

TEST(BootProgress, TheReportHasTheCauseAndTheLastLines) {
  const std::string journal = std::string(k_journal) + "h systemd[1]: Failed to start ssh.service - OpenBSD.\n";
  const std::string report = boot_failure_report(journal, "console text\n");
  EXPECT_EQ(
      report.rfind("likely cause: Failed to start ssh.service - OpenBSD.\nlast lines of the guest's journal:\n  ", 0),
      0U)
      << report;
  EXPECT_NE(report.find("  h systemd[1]: Failed to start ssh.service"), std::string::npos);
  EXPECT_EQ(boot_failure_report("", "early console\n"), "last lines of the guest's console:\n  early console");
  EXPECT_EQ(boot_failure_report("", ""), "");
}
