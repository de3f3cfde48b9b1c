#include <gtest/gtest.h>

#include "bcvk/vm/vm_builder.hpp"

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

TEST(BuildVmSpec, CarriesConfigAndFacts) {
  RunConfig c;
  c.image = "localhost/img";
  c.memory_bytes = 1ULL << 30;
  c.vcpus = 2;
  c.rm = true;
  c.labels = {{"team", "qa"}};
  c.kargs = {"foo=bar"};
  HostFacts f;
  f.name = "vm1";
  f.created = "2026-01-01T00:00:00Z";
  f.kernel = "/k";
  f.initrd = "/i";
  f.root_dir = "/r";
  f.console_log = "/c.log";
  const VmSpec s = build_vm_spec(c, f);
  EXPECT_EQ(s.name, "vm1");
  EXPECT_EQ(s.title, "bcvk: localhost/img");
  EXPECT_NE(s.description.find("removed with all its state"), std::string::npos);
  EXPECT_EQ(s.cmdline, "rootfstype=virtiofs root=rootfs rw console=ttyS0 foo=bar");
  EXPECT_EQ(s.metadata.labels.size(), 1U);
  EXPECT_TRUE(s.metadata.auto_remove);
  EXPECT_EQ(s.memory_bytes, 1ULL << 30);
}
