// Provisioning a guest the way a deployment would: a cloud-init NoCloud seed, an Ignition config
// over fw_cfg, and images built on the host run by podman inside the guest without a pull.
#include <unistd.h>

#include <random>

#include "e2e_support.hpp"

using namespace bcvk::e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string variant(const std::string& name) {
  return "localhost/bcvk-test-" + name + ":latest";
}

// A directory of root's for the test's input files, removed with the fixture.
class Provisioning : public ::testing::Test {
protected:
  void SetUp() override {
    use_test_environment();
    m_dir = fs::temp_directory_path() / ("bcvk-e2e-provisioning-" + std::to_string(::getpid()));
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
    fs::permissions(m_dir, fs::perms::owner_all);
  }
  void TearDown() override { fs::remove_all(m_dir); }

  fs::path write(const std::string& relative, const std::string& content) const {
    const fs::path path = m_dir / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  fs::path m_dir;
};

std::string random_token() {
  std::random_device rd;
  return std::to_string(rd()) + std::to_string(rd());
}

} // namespace

// User data that adds a user with its own key, writes a file and runs a command: all of it is
// seen over SSH (bcvk's own key for root still logs in next to the user's, and the host key bcvk
// pinned survived cloud-init's SSH module), cloud-init finished without an error, and the seed lies
// in the VM's root readable by root only.
TEST_F(Provisioning, ACloudInitSeedsUserDataRunsNextToBcvksKey) {
  const std::string token = random_token();
  write("seed/meta-data", "instance-id: e2e-" + token + "\nlocal-hostname: seeded\n");
  write("seed/user-data", "#cloud-config\n"
                          "users:\n"
                          "  - default\n"
                          "  - name: dev\n"
                          "    ssh_authorized_keys: ['ssh-ed25519 "
                          "AAAAC3NzaC1lZDI1NTE5AAAAIE2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e dev@e2e']\n"
                          "write_files:\n"
                          "  - path: /etc/e2e/written\n"
                          "    content: 'written " +
                              token +
                              "'\n"
                              "runcmd:\n"
                              "  - [sh, -c, 'echo ran " +
                              token +
                              " > /var/tmp/e2e-runcmd']\n"
                              // The test image has no locales package, which cloud-init's locale
                              // module needs; it would finish with an error unrelated to the seed.
                              "locale: false\n");
  const auto r =
      bcvk_within(900, {"ephemeral", "run-ssh", "--name", "e2e-cloud-init-seed", "--memory", "1G", "--cloud-init",
                        (m_dir / "seed").string(), variant("cloud-init"), "--",
                        "echo STATUS=$(cloud-init status --wait | tail -n 1); "
                        "echo WRITTEN=$(cat /etc/e2e/written); "
                        "echo RAN=$(cat /var/tmp/e2e-runcmd); "
                        "echo DEV_KEY=$(cat /home/dev/.ssh/authorized_keys); "
                        "echo HOST=$(hostname); "
                        "echo CMDLINE=$(cat /proc/cmdline); "
                        "echo SEED_MODE=$(stat -c %a /var/lib/cloud/seed/nocloud/user-data); "
                        "echo DATASOURCE=$(cloud-init query platform 2>/dev/null || cat /run/cloud-init/cloud-id)"});
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_EQ(field(r.out, "STATUS"), "status: done") << "cloud-init ran every stage: " << r.out;
  EXPECT_EQ(field(r.out, "WRITTEN"), "written " + token) << r.out;
  EXPECT_EQ(field(r.out, "RAN"), "ran " + token) << r.out;
  EXPECT_TRUE(contains(field(r.out, "DEV_KEY"), "dev@e2e")) << "the user data's user and key: " << r.out;
  EXPECT_EQ(field(r.out, "HOST"), "seeded") << "meta-data was read: " << r.out;
  const std::string cmdline = field(r.out, "CMDLINE");
  EXPECT_TRUE(contains(cmdline, "ds=nocloud")) << cmdline;
  EXPECT_FALSE(contains(cmdline, "cloud-init=disabled")) << cmdline;
  EXPECT_EQ(field(r.out, "SEED_MODE"), "600") << r.out;
  EXPECT_EQ(field(r.out, "DATASOURCE"), "nocloud") << r.out;
  expect_nothing_left("e2e-cloud-init-seed");
}

// An image that carries its own NoCloud seed: cloud-init runs it (ds=nocloud), and bcvk's SSH
// host key survives cloud-init's first run, which deletes a machine's host keys by default.
TEST_F(Provisioning, AnImageWithItsOwnSeedRunsItAndKeepsBcvksHostKey) {
  const std::string token = random_token();
  const std::string image = "localhost/bcvk-e2e-own-seed:" + token;
  write("context/seed/meta-data", "instance-id: own-" + token + "\n");
  write("context/seed/user-data", "#cloud-config\nlocale: false\nwrite_files:\n  - path: /etc/e2e/own\n"
                                  "    content: 'own " +
                                      token + "'\n");
  write("context/Containerfile", "FROM " + variant("cloud-init") + "\nCOPY seed /var/lib/cloud/seed/nocloud/\n");
  ASSERT_EQ(run({"podman", "build", "--quiet", "--tag", image, (m_dir / "context").string()}).status, 0);
  const AtScopeExit untag([&image] { run({"podman", "rmi", "--force", image}); });
  const auto r = bcvk_within(900, {"ephemeral", "run-ssh", "--name", "e2e-own-seed", "--memory", "1G", image, "--",
                                   "echo STATUS=$(cloud-init status --wait | tail -n 1); "
                                   "echo OWN=$(cat /etc/e2e/own)"});
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_EQ(field(r.out, "STATUS"), "status: done") << r.out;
  EXPECT_EQ(field(r.out, "OWN"), "own " + token) << r.out;
  expect_nothing_left("e2e-own-seed");
}

// The Ignition config reaches the guest as QEMU's fw_cfg file, byte for byte, with Ignition's
// first-boot arguments; the VM boots the image's own initramfs, where Ignition runs. The host
// keeps no copy once QEMU read it, and the kept VM boots again as an installed machine would:
// without ignition.firstboot and without the config.
TEST_F(Provisioning, AnIgnitionConfigReachesTheGuestByteForByteOnTheFirstBootOnly) {
  const std::string vm = "e2e-ignition";
  const auto cleanup = removed_at_exit({vm});
  const std::string config = "{\"ignition\": {\"version\": \"3.4.0\"},\n \"storage\": {\"files\": [{\"path\": "
                             "\"/etc/motd\", \"contents\": {\"source\": \"data:,h%C3%A9llo%20" +
                             random_token() + "\"}}]},\n \"passwd\": {\"users\": [{\"name\": \"zoë\"}]}}\n";
  const fs::path file = write("config.ign", config);
  const std::string expected = run({"sha256sum", file.string()}).out.substr(0, 64);
  const auto r = bcvk_within(
      900, {"ephemeral", "run", "--name", vm, "--memory", "1G", "--ignition", file.string(), "--execute",
            "modprobe qemu_fw_cfg; "
            "echo SHA=$(sha256sum < /sys/firmware/qemu_fw_cfg/by_name/opt/com.coreos/config/raw | cut -c1-64); "
            "echo CMDLINE=$(cat /proc/cmdline); "
            "echo INITRD_PHASE=$(systemctl show -P InitRDTimestampMonotonic)",
            variant("ignition")});
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_EQ(field(r.out, "SHA"), expected) << r.out;
  const std::string cmdline = field(r.out, "CMDLINE");
  EXPECT_TRUE(contains(cmdline, "ignition.platform.id=qemu")) << cmdline;
  EXPECT_TRUE(contains(cmdline, "ignition.firstboot")) << cmdline;
  EXPECT_NE(field(r.out, "INITRD_PHASE"), "0") << "the image's initramfs ran: " << r.out;
  EXPECT_FALSE(fs::exists(state_dir() + "/instances/" + vm + "/ignition.json")) << "deleted once QEMU read it";

  ASSERT_EQ(bcvk_cli({"ephemeral", "start", vm}).status, 0);
  const std::string xml = run({"virsh", "-c", "qemu:///system", "dumpxml", vm}).out;
  EXPECT_TRUE(contains(xml, "ignition.platform.id=qemu")) << xml;
  EXPECT_FALSE(contains(xml, "ignition.firstboot")) << xml;
  EXPECT_FALSE(contains(xml, "opt/com.coreos/config")) << xml;
  EXPECT_EQ(bcvk_cli({"ephemeral", "stop", "-f", vm}).status, 0);
  EXPECT_EQ(bcvk_cli({"ephemeral", "rm", vm}).status, 0);
  expect_nothing_left(vm);
}

// An image built on the host just now runs in the guest with --pull=never: podman in the guest
// finds it in the host's storage, shared read-only, through the storage.conf bcvk wrote into the
// VM's root; the guest cannot write to that storage.
TEST_F(Provisioning, AnImageBuiltOnTheHostRunsInTheGuestWithoutAPull) {
  const std::string token = random_token();
  const std::string image = "localhost/bcvk-e2e-built-on-host:" + token;
  write("context/marker", "built on the host " + token + "\n");
  write("context/Containerfile", "FROM " + k_image + "\nCOPY marker /marker\n");
  ASSERT_EQ(run({"podman", "build", "--quiet", "--tag", image, (m_dir / "context").string()}).status, 0);
  const AtScopeExit untag([&image] { run({"podman", "rmi", "--force", image}); });
  const auto r = bcvk_within(
      900, {"ephemeral", "run", "--rm", "--name", "e2e-host-images", "--memory", "1G", "--bind-storage-ro", "--execute",
            "echo MARKER=$(podman run --rm --pull=never --network=none " + image +
                " cat /marker); "
                "echo DRIVER=$(podman info --format '{{.Store.GraphDriverName}}'); "
                "echo READ_ONLY=$(podman images --format '{{.ReadOnly}}' --filter reference=" +
                image +
                "); "
                "touch /run/virtiofs-mnt-hoststorage/overlay-images/x 2>/dev/null && echo WRITE=allowed || "
                "echo WRITE=refused",
            variant("podman")});
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_EQ(field(r.out, "MARKER"), "built on the host " + token) << r.err << r.out;
  EXPECT_EQ(field(r.out, "DRIVER"), "overlay") << r.out;
  EXPECT_EQ(field(r.out, "READ_ONLY"), "true") << r.out;
  EXPECT_EQ(field(r.out, "WRITE"), "refused") << r.out;
  expect_nothing_left("e2e-host-images");
}
