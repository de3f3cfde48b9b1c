#include <gtest/gtest.h>

#include "bcvk/error.hpp"
#include "bcvk/names.hpp"

#include <vector>

using namespace bcvk;

TEST(VmName, AcceptsThePattern) {
  for (const char* ok : {"a", "vm1", "My-VM_2.test", "0abc"}) {
    EXPECT_NO_THROW(check_vm_name(ok)) << ok;
  }
  EXPECT_NO_THROW(check_vm_name(std::string(63, 'a')));
}

TEST(VmName, RejectsOthers) {
  for (const std::string& bad :
       std::vector<std::string>{"", "-vm", ".vm", "_vm", "a b", "a/b", "vm\n", "vé", std::string(64, 'a')}) {
    EXPECT_THROW(check_vm_name(bad), UsageError) << bad;
  }
}

TEST(VmName, MessageNamesOptionValueAndRule) {
  try {
    check_vm_name("a b");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--name: invalid VM name 'a b': use letters, digits, '_', '.' and '-', starting with a "
                           "letter or digit, at most 63 characters");
  }
}

TEST(VmName, GeneratedNamesAreValidAndDeterministic) {
  const auto name = generate_vm_name([] { return 0x3fa9c2d1U; });
  EXPECT_EQ(name, "bcvk-3fa9c2d1");
  EXPECT_NO_THROW(check_vm_name(name));
}
