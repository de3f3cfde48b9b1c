// Images that behave like the ones users bring, built by scripts/build-test-image: SELinux,
// cloud-init, no sshd, no root login, an initramfs without virtiofs, a UKI only.
#include "e2e_support.hpp"

using namespace bcvk::e2e;
using namespace std::chrono_literals;

namespace {

std::string variant(const std::string& name) {
  return "localhost/bcvk-test-" + name + ":latest";
}

class RealImages : public ::testing::Test {
protected:
  void SetUp() override { use_test_environment(); }
};

} // namespace

// Refused before anything boots: a user learns at once, not after a four-minute SSH timeout.
TEST_F(RealImages, ImagesSshCannotLogInToAreRefusedBeforeBoot) {
  const struct {
    std::vector<std::string> args;
    std::string image;
    std::string says;
  } cases[] = {
      {{"ephemeral", "run", "-d", "-K", "--rm", "--name", "e2e-no-sshd"}, "no-sshd", "has no SSH server (no sshd)"},
      {{"ephemeral", "run-ssh", "--name", "e2e-no-sshd"}, "no-sshd", "has no SSH server (no sshd)"},
      {{"ephemeral", "run", "-d", "-K", "--rm", "--name", "e2e-no-sshd"},
       "no-root-login",
       "PermitRootLogin no in /etc/ssh/sshd_config.d/50-no-root.conf"},
  };
  for (const auto& c : cases) {
    auto args = c.args;
    args.push_back(variant(c.image));
    const auto started = std::chrono::steady_clock::now();
    const auto r = bcvk_within(120, args);
    EXPECT_EQ(r.status, 125) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(contains(r.err, c.says)) << r.err;
    EXPECT_TRUE(contains(r.err, "--execute")) << "names the way without SSH: " << r.err;
    EXPECT_LT(std::chrono::steady_clock::now() - started, 60s) << "refused only after a boot";
    expect_nothing_left("e2e-no-sshd");
  }
}

// SELinux enforcing in the image, loaded by its kargs.d: bcvk boots it with selinux=0 (a virtiofs
// root has no labels) and SSH works.
// An SELinux-enforcing image boots to SSH with SELinux off on the kernel command line (a virtiofs
// root carries no labels), without a denial, its getty and sshd up.
TEST_F(RealImages, SelinuxImageBootsToSshWithSelinuxOff) {
  const auto r =
      bcvk_within(900, {"ephemeral", "run-ssh", "--name", "e2e-selinux", "--memory", "1G", variant("selinux"), "--",
                        "echo CMDLINE=$(cat /proc/cmdline); "
                        "echo ENFORCE=$(cat /sys/fs/selinux/enforce 2>/dev/null || echo absent); "
                        "echo DENIED=$(journalctl -b -k --no-pager | grep -c 'avc:  denied .*permissive=0'); "
                        "echo GETTY=$(systemctl is-active serial-getty@ttyS0.service); "
                        "echo CONFIG=$(grep ^SELINUX= /etc/selinux/config)"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string cmdline = field(r.out, "CMDLINE");
  EXPECT_TRUE(contains(cmdline, "security=selinux")) << "the image's kargs.d: " << cmdline;
  EXPECT_TRUE(contains(cmdline, " selinux=0 enforcing=0")) << cmdline;
  // Debian's kernel ignores selinux=0: SELinux runs, permissive, and denies nothing.
  EXPECT_TRUE(field(r.out, "ENFORCE") == "0" || field(r.out, "ENFORCE") == "absent") << r.out;
  EXPECT_EQ(field(r.out, "DENIED"), "0") << "nothing was denied: " << r.out;
  EXPECT_EQ(field(r.out, "GETTY"), "active") << "the serial console's getty runs: " << r.out;
  EXPECT_EQ(field(r.out, "CONFIG"), "SELINUX=enforcing") << "the image is left as it is";
  expect_nothing_left("e2e-selinux");
}

// cloud-init in the image: bcvk turns it off, so it never waits for a cloud's metadata service.
TEST_F(RealImages, CloudInitImageBootsToSshWithoutWaitingForACloud) {
  const auto r = bcvk_within(900, {"ephemeral", "run-ssh", "--name", "e2e-cloud-init", "--memory", "1G",
                                   variant("cloud-init"), "--",
                                   "echo CMDLINE=$(cat /proc/cmdline); "
                                   "echo CLOUD_INIT=$(systemctl is-active cloud-init.service)"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(contains(field(r.out, "CMDLINE"), "cloud-init=disabled")) << r.out;
  EXPECT_EQ(field(r.out, "CLOUD_INIT"), "inactive") << r.out;
  expect_nothing_left("e2e-cloud-init");
}

// Only a unified kernel image: bcvk boots the kernel and initramfs inside it.
TEST_F(RealImages, UkiOnlyImageBoots) {
  const auto r = bcvk_within(900, {"ephemeral", "run", "--rm", "--name", "e2e-uki", "--memory", "1G", "--execute",
                                   "echo UKI_BOOT_SUCCESS; echo ROOT=$(findmnt -n -o FSTYPE /)", variant("uki")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "UKI_BOOT_SUCCESS\n")) << r.out;
  EXPECT_EQ(field(r.out, "ROOT"), "virtiofs");
  expect_nothing_left("e2e-uki");
}

// An initramfs made without dracut's virtiofs module, booted through the image's own initramfs:
// bcvk's add-on loads the image's own modules and mounts the root.
TEST_F(RealImages, InitramfsWithoutVirtiofsStillBoots) {
  const auto r =
      bcvk_within(900, {"ephemeral", "run", "--rm", "--name", "e2e-no-virtiofs", "--memory", "1G", "--initramfs",
                        "image", "--execute",
                        "echo ROOT=$(findmnt -n -o FSTYPE /); echo BOOTED=yes; "
                        "echo ADDON=$(journalctl -b -o cat -u bcvk-virtiofs-root.service | grep -c '^Finished'); "
                        "echo INITRD_PHASE=$(systemctl show -P InitRDTimestampMonotonic)",
                        variant("no-virtiofs-initrd")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(field(r.out, "BOOTED"), "yes");
  EXPECT_EQ(field(r.out, "ROOT"), "virtiofs");
  EXPECT_NE(field(r.out, "INITRD_PHASE"), "0") << "the image's initramfs ran: " << r.out;
  // The variant's initramfs has no virtiofs.ko (scripts/build-test-image checks): bcvk's add-on
  // loaded the image's own module before the root was mounted.
  EXPECT_EQ(field(r.out, "ADDON"), "1") << r.out;
  expect_nothing_left("e2e-no-virtiofs");
}

// bcvk's minimal initramfs (the default): the image's own init starts straight from it, with no
// initrd phase, on the virtiofs root mounted read-write; the module arguments of the kernel
// command line reach the modules it loads, as modprobe would pass them; and the initramfs is gone.
TEST_F(RealImages, MinimalInitramfsHandsOverToTheImagesInitWithModuleArguments) {
  const auto r = bcvk_within(
      900, {"ephemeral", "run", "--rm", "--name", "e2e-minimal", "--memory", "1G", "--karg", "fuse.max_user_bgreq=77",
            "--execute",
            "echo ROOT=$(findmnt -n -o FSTYPE,OPTIONS / | cut -d, -f1); "
            "echo PARAM=$(cat /sys/module/fuse/parameters/max_user_bgreq); "
            "echo INIT=$(journalctl -b -t bcvk-init -o cat | grep -c '^root mounted in'); "
            "echo INITRD_PHASE=$(systemctl show -P InitRDTimestampMonotonic); "
            "echo PID1=$(readlink /proc/1/exe); "
            "echo JOURNAL=$(systemctl is-active bcvk-journal.service); "
            "echo FREED=$(journalctl -b -k -o cat | sed -n 's/.*; \\([0-9]*\\) initramfs files freed;.*/\\1/p')",
            variant("selinux")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(field(r.out, "ROOT"), "virtiofs rw") << r.out;
  EXPECT_EQ(field(r.out, "PARAM"), "77") << "fuse was loaded with its argument: " << r.out;
  EXPECT_EQ(field(r.out, "INIT"), "1") << "bcvk's init mounted the root: " << r.out;
  EXPECT_EQ(field(r.out, "INITRD_PHASE"), "0") << "no initramfs of the image ran: " << r.out;
  EXPECT_TRUE(contains(field(r.out, "PID1"), "systemd")) << r.out;
  EXPECT_EQ(field(r.out, "JOURNAL"), "active") << "bcvk's journal stream found its port: " << r.out;
  EXPECT_GE(std::atoi(field(r.out, "FREED").c_str()), 10) << "the initramfs's files were deleted: " << r.out;
  expect_nothing_left("e2e-minimal");
}

// A root the minimal initramfs cannot mount: its init says why on the console and powers the VM
// off at once, so bcvk fails in seconds, not at its SSH timeout, and leaves nothing.
TEST_F(RealImages, AMinimalInitramfsThatCannotMountTheRootPowersOffWithItsReason) {
  const auto started = std::chrono::steady_clock::now();
  const auto r = bcvk_within(600, {"ephemeral", "run", "--rm", "--name", "e2e-minimal-fails", "--memory", "1G",
                                   "--karg", "rootflags=no_such_option", "--execute", "true", k_image});
  EXPECT_NE(r.status, 0);
  EXPECT_TRUE(contains(r.err, "the VM powered off before the --execute commands finished (bcvk-init: cannot mount "
                              "the virtiofs root 'rootfs' with rootflags=no_such_option: Invalid argument)"))
      << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 240s) << "bcvk waited for the guest: " << r.err;
  expect_nothing_left("e2e-minimal-fails");
}
