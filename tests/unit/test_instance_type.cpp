#include <gtest/gtest.h>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/instance_type.hpp"
#include "bcvk/util/size.hpp"

using namespace bcvk;

TEST(InstanceType, TableMatchesKubeVirtUSeries) {
  struct Row {
    const char* name;
    unsigned vcpus;
    std::uint64_t memory;
  };
  const Row expected[] = {{"u1.nano", 1, 512 * k_mib},    {"u1.micro", 1, k_gib},        {"u1.small", 1, 2 * k_gib},
                          {"u1.medium", 1, 4 * k_gib},    {"u1.2xmedium", 2, 4 * k_gib}, {"u1.large", 2, 8 * k_gib},
                          {"u1.xlarge", 4, 16 * k_gib},   {"u1.2xlarge", 8, 32 * k_gib}, {"u1.4xlarge", 16, 64 * k_gib},
                          {"u1.8xlarge", 32, 128 * k_gib}};
  ASSERT_EQ(instance_types().size(), std::size(expected));
  for (const auto& row : expected) {
    const auto& t = find_instance_type(row.name);
    EXPECT_EQ(t.vcpus, row.vcpus) << row.name;
    EXPECT_EQ(t.memory_bytes, row.memory) << row.name;
  }
}

TEST(InstanceType, UnknownListsKnownNames) {
  try {
    find_instance_type("u1.huge");
    FAIL();
  } catch (const UsageError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("--itype: unknown instance type 'u1.huge'"), std::string::npos);
    EXPECT_NE(msg.find("u1.nano"), std::string::npos);
    EXPECT_NE(msg.find("u1.8xlarge"), std::string::npos);
  }
}
