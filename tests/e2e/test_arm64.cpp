// An arm64 bootc image on this (x86_64) host, as a user with an arm64 image would try it: no
// --arch, the image's config says what it is. One boot checks the guest's machine, its virtiofs
// root, the SSH key that can only have arrived over fw_cfg, a --bind share both ways, a command's
// exit status and a clean stop through the ACPI power button; the kept VM then boots again with
// its changes, and a foreground --execute (on a gzip-compressed kernel) reports its status
// through virtio-serial.
#include "e2e_support.hpp"

#include <nlohmann/json.hpp>

using namespace bcvk::e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string k_arm64_image = "localhost/bcvk-test-arm64:latest";
// Emulated arm64 boots take minutes here, more while the host is busy; bcvk's own waits decide.
constexpr int k_boot_budget_s = 1500;

class Arm64 : public ::testing::Test {
protected:
  void SetUp() override {
    use_test_environment();
    ASSERT_EQ(run({"uname", "-m"}).out, "x86_64\n") << "this test emulates arm64 on an x86_64 host";
    const auto arch = run({"podman", "image", "inspect", "--format", "{{.Architecture}}", k_arm64_image});
    ASSERT_EQ(arch.out, "arm64\n") << k_arm64_image << " is built by scripts/build-test-image-arm64: " << arch.err;
    m_dir = fs::path("/var/tmp") / ("bcvk-e2e-arm64-" + std::to_string(::getpid()));
    fs::create_directories(m_dir / "share");
    std::ofstream(m_dir / "share/from-host.txt") << "hello arm64 guest\n";
  }
  void TearDown() override { fs::remove_all(m_dir); }
  fs::path m_dir;
};

} // namespace

TEST_F(Arm64, AnArm64ImageBootsEmulatedWithItsCredentialsOverFwCfg) {
  const std::string vm = "e2e-arm64";
  const auto removed = removed_at_exit({vm});
  const auto started =
      bcvk_within(k_boot_budget_s, {"ephemeral", "run", "-d", "-K", "--name", vm, "--memory", "1G", "--bind",
                                    (m_dir / "share").string() + ":/workspace", k_arm64_image});
  ASSERT_EQ(started.status, 0) << started.err;

  // What libvirt was given: an aarch64 'virt' guest with the key in fw_cfg, no SMBIOS.
  const std::string xml = run({"virsh", "-c", "qemu:///system", "dumpxml", vm}).out;
  EXPECT_TRUE(contains(xml, "arch='aarch64' machine='virt")) << xml;
  EXPECT_TRUE(contains(xml, "<sysinfo type='fwcfg'>")) << xml;
  EXPECT_TRUE(contains(xml, "name='opt/io.systemd.credentials/ssh.authorized_keys.root'")) << xml;
  EXPECT_FALSE(contains(xml, "smbios")) << xml;
  EXPECT_TRUE(contains(xml, "<bcvk:arch>arm64</bcvk:arch>")) << xml;
  const auto inspect = nlohmann::json::parse(bcvk_cli({"ephemeral", "inspect", vm}).out);
  EXPECT_EQ(inspect["arch"], "arm64");
  const auto listed = nlohmann::json::parse(bcvk_cli({"ephemeral", "ps", "--format", "json"}).out);
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(listed[0]["arch"], "arm64");

  // SSH answered with bcvk's generated key: the only way it reached root is the fw_cfg credential.
  const auto probe = bcvk_within(
      300, {"ephemeral", "ssh", vm, "--",
            "echo MACHINE=$(uname -m); echo ROOT=$(findmnt -n -o FSTYPE /); "
            "echo CREDENTIAL=$(cat /run/credentials/@system/ssh.authorized_keys.root | cut -d' ' -f1); "
            "echo SHARE=$(cat /workspace/from-host.txt); echo written-by-arm64 > /workspace/from-guest.txt; "
            "echo CONSOLE=$(cat /sys/class/tty/console/active); echo from-the-first-boot > /var/tmp/kept; "
            "sync; exit 7"});
  EXPECT_EQ(probe.status, 7) << probe.err;
  EXPECT_EQ(field(probe.out, "MACHINE"), "aarch64") << probe.out;
  EXPECT_EQ(field(probe.out, "ROOT"), "virtiofs") << probe.out;
  EXPECT_EQ(field(probe.out, "CREDENTIAL"), "ssh-ed25519") << probe.out;
  EXPECT_EQ(field(probe.out, "SHARE"), "hello arm64 guest") << probe.out;
  EXPECT_EQ(field(probe.out, "CONSOLE"), "ttyAMA0") << probe.out;
  EXPECT_EQ(slurp((m_dir / "share/from-guest.txt").string()), "written-by-arm64\n");
  // The guest's boot messages reached the console log through the pl011 UART.
  EXPECT_TRUE(contains(bcvk_cli({"ephemeral", "logs", "--console", vm}).out, "Booting Linux")) << "console log";

  // The guest boots through UEFI, so it has ACPI: stop's power button reaches it and it powers off
  // by itself (not forced at the timeout; Debian's cloud kernel has no driver for the device
  // tree's GPIO key that a guest without firmware would get instead).
  const auto stopped = bcvk_within(600, {"ephemeral", "stop", "--timeout", "300", vm});
  EXPECT_EQ(stopped.status, 0) << stopped.err;
  EXPECT_FALSE(contains(stopped.err, "powering")) << stopped.err;

  // Kept: it boots again as arm64 with what the guest wrote (its UEFI variables included).
  const auto restarted = bcvk_within(k_boot_budget_s, {"ephemeral", "start", vm});
  ASSERT_EQ(restarted.status, 0) << restarted.err;
  const auto again = bcvk_within(
      k_boot_budget_s, {"ephemeral", "ssh", vm, "--", "echo MACHINE=$(uname -m); echo KEPT=$(cat /var/tmp/kept)"});
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(field(again.out, "MACHINE"), "aarch64") << again.out;
  EXPECT_EQ(field(again.out, "KEPT"), "from-the-first-boot") << again.out;
  const auto stopped_again = bcvk_within(600, {"ephemeral", "stop", "--timeout", "300", vm});
  EXPECT_EQ(stopped_again.status, 0) << stopped_again.err;
  const auto rm = bcvk_within(120, {"ephemeral", "rm", vm});
  EXPECT_EQ(rm.status, 0) << rm.err;
  expect_nothing_left(vm);

  // Asking for another architecture than the image's is refused before anything is made.
  const auto refused = bcvk_within(
      60, {"ephemeral", "run", "--rm", "--arch", "amd64", "--pull=never", "--name", "e2e-arm64-asked", k_arm64_image});
  EXPECT_EQ(refused.status, 125);
  EXPECT_TRUE(contains(refused.err, "is an arm64 image, not the amd64 that --arch asked for")) << refused.err;
  EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;
  expect_nothing_left("e2e-arm64-asked");
}

// Some distributions ship arm64 kernels gzip-compressed (others as EFI zboot images, which the
// UEFI firmware runs as they are): QEMU unpacks the gzip one for the firmware.
TEST_F(Arm64, AForegroundExecuteOnAGzipKernelReportsItsOutputAndStatus) {
  const std::string image = "localhost/bcvk-test-arm64-gzip-kernel:latest";
  const auto magic = run({"sh", "-c",
                          "m=$(podman image mount " + image +
                              ") && od -An -tx1 -N2 \"$m\"/usr/lib/modules/*/vmlinuz; "
                              "podman image umount " +
                              image + " >/dev/null"});
  ASSERT_EQ(magic.out, " 1f 8b\n") << "the kernel of " << image << " is gzip: " << magic.err;
  const std::string vm = "e2e-arm64-exec";
  const auto removed = removed_at_exit({vm});
  const auto r = bcvk_within(k_boot_budget_s, {"ephemeral", "run", "--rm", "--name", vm, "--memory", "1G", "--execute",
                                               "echo EXEC_MACHINE=$(uname -m); exit 3", image});
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_EQ(field(r.out, "EXEC_MACHINE"), "aarch64") << r.out;
  expect_nothing_left(vm);
}
