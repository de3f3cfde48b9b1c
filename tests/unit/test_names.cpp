#include <gtest/gtest.h>

#include "bcvk/instance/instance_domain.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/vm/names.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <vector>

using namespace bcvk;

TEST(VmName, AcceptsThePattern) {
  for (const char* ok : {"a", "vm1", "My-VM_2.test", "0abc"}) {
    EXPECT_EQ(VmName::parse(ok).str(), ok);
  }
  EXPECT_NO_THROW(VmName::parse(std::string(63, 'a')));
}

TEST(VmName, RejectsAnythingThatCouldBecomeAPath) {
  for (const std::string& bad : std::vector<std::string>{"", "-vm", ".vm", "_vm", "a b", "a/b", "..", ".", "../x",
                                                         "../../victim", "vm\n", "vé", std::string(64, 'a')}) {
    EXPECT_THROW(VmName::parse(bad), UsageError) << bad;
    EXPECT_FALSE(VmName::try_parse(bad)) << bad;
  }
}

TEST(VmName, MessageNamesOptionValueAndRule) {
  try {
    VmName::parse("a b", "--name");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--name: invalid VM name 'a b': use letters, digits, '_', '.' and '-', starting with a "
                           "letter or digit, at most 63 characters");
  }
}

TEST(VmName, ControlCharactersAreShownEscaped) {
  try {
    VmName::parse("x\x1b[2J");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("NAME: invalid VM name 'x\\x1b[2J'"), std::string::npos) << e.what();
  }
}

TEST(VmName, ListsAreCheckedWhole) {
  EXPECT_EQ(parse_vm_names({"a", "b"}).size(), 2U);
  EXPECT_THROW(parse_vm_names({"a", "../b"}), UsageError);
}

TEST(VmName, GeneratedNamesAreValidAndDeterministic) {
  const auto name = generate_vm_name([] { return 0x3fa9c2d1U; });
  EXPECT_EQ(name.str(), "bcvk-3fa9c2d1");
}

TEST(PlainText, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8("héllo ✓ 😀"));
  EXPECT_FALSE(is_valid_utf8("\xff"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));         // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));     // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80")); // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe2\x9c"));         // truncated
}

TEST(PlainText, PrintableEscapesControlsAndBadBytes) {
  EXPECT_EQ(printable("a\nb\x7f\xff✓"), "a\\x0ab\\x7f\\xff✓");
  EXPECT_EQ(printable("csi\xc2\x9b"
                      "2J é"),
            "csi\\xc2\\x9b2J é")
      << "C1 controls too";
}

TEST(PlainText, CheckNamesOptionAndByte) {
  try {
    check_plain_text("--label", "value", "a\tb");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--label: value 'a\\x09b' contains a control character (0x09): remove it");
  }
  EXPECT_THROW(check_plain_text("--karg", "kernel argument", "\xff"), UsageError);
  EXPECT_NO_THROW(check_plain_text("--label", "value", "héllo wörld"));
}

TEST(DomainUuid, RandomBytesBecomeAVersion4UuidInLibvirtsForm) {
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<std::uint8_t>(0xf0 + i);
  }
  const std::string uuid = uuid_from_bytes(bytes);
  EXPECT_EQ(uuid, "f0f1f2f3-f4f5-46f7-b8f9-fafbfcfdfeff") << "version 4, RFC 4122 variant";
  EXPECT_TRUE(is_uuid(uuid));
  EXPECT_TRUE(is_uuid(uuid_from_bytes({})));
  for (const char* bad : {"", "web", "F0F1F2F3-F4F5-46F7-B8F9-FAFBFCFDFEFF", "f0f1f2f3f4f546f7b8f9fafbfcfdfeff",
                          "f0f1f2f3-f4f5-46f7-b8f9-fafbfcfdfef", "f0f1f2f3-f4f5-46f7-b8f9-fafbfcfdfeffa",
                          "f0f1f2f3-f4f5-46f7-b8f9+fafbfcfdfeff", "g0f1f2f3-f4f5-46f7-b8f9-fafbfcfdfeff"}) {
    EXPECT_FALSE(is_uuid(bad)) << bad;
  }
}

TEST(DomainUuid, AnInstancesDomainIsTheOneWithItsUuidOnItsConnection) {
  InstanceRecord record;
  record.name = "web";
  record.uri = "qemu:///system";
  record.domain_uuid = "6b1c7a52-3f0e-4d7b-9a61-0c2e5f4d8e17";
  EXPECT_TRUE(is_instance_domain(record, record.domain_uuid));
  EXPECT_FALSE(is_instance_domain(record, "0d6f3a8e-1b2c-4d5e-8f90-a1b2c3d4e5f6"));
  EXPECT_TRUE(is_instance_connection(record, "qemu:///system"));
  EXPECT_FALSE(is_instance_connection(record, "qemu+ssh://other/system"));
  const std::map<std::string, std::string> running{{"web", "0d6f3a8e-1b2c-4d5e-8f90-a1b2c3d4e5f6"},
                                                   {"db", "6b1c7a52-3f0e-4d7b-9a61-0c2e5f4d8e17"}};
  EXPECT_FALSE(instance_domain_active(running, record)) << "another VM named web runs; ours does not";
  record.domain_uuid.clear(); // kept by an older bcvk: the name is all it recorded
  EXPECT_TRUE(is_instance_domain(record, "0d6f3a8e-1b2c-4d5e-8f90-a1b2c3d4e5f6"));
  EXPECT_TRUE(instance_domain_active(running, record));
  record.uri.clear();
  EXPECT_TRUE(is_instance_connection(record, "qemu+ssh://other/system"));
}
