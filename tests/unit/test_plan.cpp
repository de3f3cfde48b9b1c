#include <gtest/gtest.h>

#include <algorithm>

#include "bcvk/util/rooted_fs.hpp"
#include "bcvk/vm/kernel_cmdline.hpp"
#include "bcvk/vm/plan.hpp"

using namespace bcvk;

TEST(KernelCmdline, BaseThenExtrasInOrder) {
  EXPECT_EQ(kernel_cmdline({}), "rootfstype=virtiofs root=rootfs rw console=ttyS0");
  EXPECT_EQ(kernel_cmdline({"foo=bar", "quiet"}), "rootfstype=virtiofs root=rootfs rw console=ttyS0 foo=bar quiet");
}

TEST(KernelCmdline, QuotesValuesWithSpaces) {
  EXPECT_EQ(kernel_cmdline({"systemd.run=echo hi"}),
            "rootfstype=virtiofs root=rootfs rw console=ttyS0 systemd.run=\"echo hi\"");
  EXPECT_EQ(kernel_cmdline({"a b"}), "rootfstype=virtiofs root=rootfs rw console=ttyS0 \"a b\"");
  // Already quoted by the user: left alone.
  EXPECT_EQ(kernel_cmdline({"x=\"a b\""}), "rootfstype=virtiofs root=rootfs rw console=ttyS0 x=\"a b\"");
}

TEST(Plan, CarriesConfigAndFacts) {
  RunConfig c;
  c.image = "localhost/img";
  c.memory_bytes = 1ULL << 30;
  c.vcpus = 2;
  c.rm = true;
  c.labels = {{"team", "qa"}};
  c.kargs = {"foo=bar"};
  LaunchFacts f;
  f.name = "vm1";
  f.created = "2026-01-01T00:00:00Z";
  f.instance_dir = "/state/instances/vm1";
  const InstancePlan plan = plan_instance(c, f);
  const VmSpec& s = plan.spec;
  EXPECT_EQ(s.name, "vm1");
  EXPECT_EQ(s.title, "bcvk: localhost/img (vm1)");
  EXPECT_NE(s.description.find("'bcvk ephemeral stop vm1') removes it with all its state"), std::string::npos);
  EXPECT_EQ(s.cmdline, "rootfstype=virtiofs root=rootfs rw console=ttyS0 foo=bar");
  EXPECT_EQ(s.kernel, "/state/instances/vm1/boot/vmlinuz");
  EXPECT_EQ(s.root_dir, "/state/instances/vm1/overlay/root");
  EXPECT_EQ(s.metadata.labels.size(), 1U);
  EXPECT_TRUE(s.metadata.auto_remove);
  EXPECT_EQ(s.memory_bytes, 1ULL << 30);
  EXPECT_EQ(plan.record.name, "vm1");
  EXPECT_EQ(plan.record.labels, c.labels);
  EXPECT_TRUE(plan.read_only_views.empty());
  EXPECT_FALSE(plan.swap_bytes.has_value());
  EXPECT_EQ(plan.record.root_size_bytes, k_default_root_size) << "the size the first boot formats is kept";
}

// An emulated guest's translation cache is bcvk's size (its idle memory), a KVM guest's QEMU's
// default, and nothing libvirt < 8.0 would not know; the boot path chosen is recorded for start.
TEST(Plan, TheTranslationCacheIsSizedOnlyUnderEmulationAndTheInitramfsIsRecorded) {
  RunConfig c;
  c.image = "localhost/img";
  LaunchFacts f;
  f.name = "vm1";
  f.instance_dir = "/state/instances/vm1";
  f.virt_type = "qemu";
  f.initramfs = InitramfsChoice::minimal;
  EXPECT_EQ(plan_instance(c, f).spec.translation_cache_mib, k_emulated_translation_cache_mib);
  EXPECT_EQ(plan_instance(c, f).record.initramfs, InitramfsChoice::minimal);
  f.libvirt_sizes_tcg_cache = false;
  EXPECT_EQ(plan_instance(c, f).spec.translation_cache_mib, 0U);
  f.libvirt_sizes_tcg_cache = true;
  f.virt_type = "kvm";
  f.initramfs = InitramfsChoice::image;
  EXPECT_EQ(plan_instance(c, f).spec.translation_cache_mib, 0U);
  EXPECT_EQ(plan_instance(c, f).record.initramfs, InitramfsChoice::image);
}

TEST(Plan, ReadOnlyBindsAreSharedThroughTheirViewsAndRecordedApart) {
  RunConfig c;
  c.image = "img";
  LaunchFacts f;
  f.name = "vm";
  f.instance_dir = "/s/vm";
  f.inputs.binds = {{"/srv/data", "data", true, {}}, {"/srv/out", "out", false, "/workspace/out"}};
  const InstancePlan plan = plan_instance(c, f);
  const auto unit = [&plan](const std::string& path) -> std::string {
    for (const auto& file : plan.guest_files) {
      if (file.path == path) {
        return file.content;
      }
    }
    return "(no " + path + ")";
  };
  EXPECT_NE(unit("etc/systemd/system/run-virtiofs\\x2dmnt\\x2ddata.mount").find("Where=/run/virtiofs-mnt-data\n"),
            std::string::npos)
      << "a plain NAME keeps /run/virtiofs-mnt-NAME";
  const std::string out_unit = unit("etc/systemd/system/workspace-out.mount");
  EXPECT_NE(out_unit.find("Where=/workspace/out\n"), std::string::npos) << out_unit;
  EXPECT_NE(out_unit.find("What=mnt-out\n"), std::string::npos) << out_unit;
  EXPECT_EQ(unit("etc/systemd/system/local-fs.target.wants/workspace-out.mount"),
            "/etc/systemd/system/workspace-out.mount");
  ASSERT_EQ(plan.spec.shares.size(), 2U);
  EXPECT_EQ(plan.spec.shares[0].host_dir, "/s/vm/ro/data") << "never the host directory itself";
  EXPECT_EQ(plan.spec.shares[1].host_dir, "/srv/out");
  ASSERT_EQ(plan.read_only_views.size(), 1U);
  EXPECT_EQ(plan.read_only_views[0].host_path, "/srv/data");
  EXPECT_EQ(plan.record.read_only_binds.size(), 1U);
  EXPECT_EQ(plan.record.read_write_binds.size(), 1U);
  EXPECT_EQ(plan.spec.metadata.mounts, plan.spec.shares) << "the metadata is a view of the same shares";
}

TEST(Plan, PortForwardsAreRecordedAndReachTheNetwork) {
  RunConfig c;
  c.image = "img";
  c.ports = {parse_port("8080:80"), parse_port("0.0.0.0:5353:53/udp")};
  LaunchFacts f;
  f.name = "vm";
  f.instance_dir = "/s/vm";
  f.ssh_port = 20022;
  const InstancePlan plan = plan_instance(c, f);
  EXPECT_EQ(plan.record.ports, c.ports);
  EXPECT_EQ(plan.spec.network.ports, c.ports);
  EXPECT_EQ(plan.spec.network.ssh_port, 20022U);
}

TEST(Plan, SshIdentityBecomesACredentialAndHostKeyFiles) {
  RunConfig c;
  c.image = "img";
  LaunchFacts f;
  f.name = "vm";
  f.instance_dir = "/s/vm";
  f.ssh = SshIdentity{"ssh-ed25519 AAAA client", "PRIVATE", "ssh-ed25519 BBBB host"};
  const InstancePlan plan = plan_instance(c, f);
  ASSERT_EQ(plan.spec.credentials.size(), 1U);
  EXPECT_EQ(plan.spec.credentials[0].value, "ssh-ed25519 AAAA client\n");
  const auto key = std::find_if(plan.guest_files.begin(), plan.guest_files.end(),
                                [](const GuestFile& g) { return g.path == "etc/ssh/ssh_host_ed25519_key"; });
  ASSERT_NE(key, plan.guest_files.end());
  EXPECT_EQ(key->content, "PRIVATE");
  EXPECT_EQ(key->mode, 0600U);
}

// What bcvk puts into the guest is recorded, so that a commit leaves it out: every file it writes,
// every entry it removes, and the authorized_keys systemd writes from bcvk's credential, below
// root's home as the image resolves it.
TEST(Plan, RecordsEveryPathBcvkPlacesInTheGuest) {
  RunConfig c;
  c.image = "localhost/img";
  c.execute = {"true"};
  c.env = {{"A", "1"}};
  LaunchFacts f;
  f.name = "vm1";
  f.instance_dir = "/state/instances/vm1";
  f.root_home = "var/roothome";
  f.ssh = SshIdentity{"ssh-ed25519 AAAA client", "PRIVATE", "ssh-ed25519 AAAA host"};
  const InstancePlan plan = plan_instance(c, f);
  ASSERT_TRUE(plan.record.placed_paths.has_value());
  const auto& placed = *plan.record.placed_paths;
  for (const auto& file : plan.guest_files) {
    EXPECT_NE(std::find(placed.begin(), placed.end(), tree_relative(file.path)), placed.end()) << file.path;
  }
  for (const char* path : {"etc/bcvk/execute.sh", "etc/ssh/ssh_host_ed25519_key",
                           "etc/systemd/system/bcvk-journal.service", "var/roothome/.ssh/authorized_keys"}) {
    EXPECT_NE(std::find(placed.begin(), placed.end(), path), placed.end()) << path;
  }
  EXPECT_TRUE(std::is_sorted(placed.begin(), placed.end()));
  LaunchFacts without_key = f;
  without_key.ssh.reset();
  const std::vector<std::string> none = plan_instance(c, without_key).record.placed_paths.value();
  EXPECT_EQ(std::count(none.begin(), none.end(), "var/roothome/.ssh/authorized_keys"), 0);
}
