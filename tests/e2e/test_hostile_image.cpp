// Images are untrusted: links inside them must never steer bcvk (root) to a host file. No boot is
// needed: --debug-entrypoint looks at the prepared guest root, --debug at kernel discovery.
#include "e2e_support.hpp"

using namespace bcvk::e2e;
namespace fs = std::filesystem;

namespace {

const std::string k_victim = "/var/tmp/bcvk-e2e-victim";
const std::string k_secret = "host secret, never to be read or written by bcvk\n";

class HostileImage : public ::testing::Test {
protected:
  void SetUp() override {
    use_test_environment();
    fs::remove_all(k_victim);
    fs::create_directories(k_victim);
    std::ofstream(k_victim + "/precious") << k_secret;
  }
  void TearDown() override { fs::remove_all(k_victim); }

  void expect_victim_untouched() {
    std::vector<std::string> entries;
    for (const auto& e : fs::directory_iterator(k_victim)) {
      entries.push_back(e.path().filename().string());
    }
    EXPECT_EQ(entries, std::vector<std::string>{"precious"}) << "bcvk wrote into the host directory";
    EXPECT_EQ(slurp(k_victim + "/precious"), k_secret);
  }
};

} // namespace

// The image makes /etc/bcvk, /etc/systemd/system.conf.d (via "..") and two files bcvk writes into
// links to a host directory. Everything lands in the instance's own overlay instead.
TEST_F(HostileImage, LinksInTheImageConfineWritesToTheGuestRoot) {
  const std::string vm = "e2e-hostile";
  const auto removed = removed_at_exit({vm});
  // Seen from the host, the links in the guest root still point at the host: probe the real paths.
  const std::string probe = "r=$BCVK_ROOTFS; "
                            "echo INSIDE=$(ls -A $r" +
                            k_victim +
                            " | tr '\\n' ' '); "
                            "echo KEYLINK=$(test -L $r/etc/ssh/ssh_host_ed25519_key && echo link || echo file); "
                            "echo KEY=$(head -n1 $r/etc/ssh/ssh_host_ed25519_key); "
                            "echo UNIT=$(grep -c 'journalctl' $r/etc/systemd/system/bcvk-journal.service); "
                            "echo ENV=$(stat -c %a $r" +
                            k_victim + "/execute.env)";
  const auto r = bcvk_within(300, {"ephemeral", "run", "--rm", "--name", vm, "-K", "-e", "SECRET=s3cret", "--execute",
                                   "true", "--debug-entrypoint", probe, "localhost/bcvk-test-hostile-overlay:latest"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(field(r.out, "INSIDE"), "50-bcvk-env.conf execute.env execute.sh") << r.out;
  EXPECT_EQ(field(r.out, "KEYLINK"), "file") << "the planted link was replaced, not followed";
  EXPECT_EQ(field(r.out, "KEY"), "-----BEGIN OPENSSH PRIVATE KEY-----");
  EXPECT_EQ(field(r.out, "UNIT"), "1");
  EXPECT_EQ(field(r.out, "ENV"), "600") << "-e values are for root only";
  expect_victim_untouched();
  expect_nothing_left(vm);
}

TEST_F(HostileImage, AKernelLinkedToAHostFileIsRefused) {
  const std::string vm = "e2e-hostile-kernel";
  const auto removed = removed_at_exit({vm});
  const auto r = bcvk_within(
      300, {"ephemeral", "run", "--rm", "--debug", "--name", vm, "localhost/bcvk-test-hostile-kernel:latest"});
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(contains(r.err, "/usr/lib/modules/6.1.0-hostile/vmlinuz in image")) << r.err;
  EXPECT_TRUE(contains(r.err, "link that leads out of image")) << r.err;
  EXPECT_FALSE(contains(r.out, "host secret"));
  expect_victim_untouched();
  expect_nothing_left(vm);
}
