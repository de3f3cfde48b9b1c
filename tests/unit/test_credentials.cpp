#include <gtest/gtest.h>

#include "bcvk/vm/credentials.hpp"
#include "bcvk/util/error.hpp"

using namespace bcvk;

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(SmbiosCredential, Format) {
  EXPECT_EQ(smbios_credential_entry("ssh.authorized_keys.root", "ssh-ed25519 AAAA"),
            "io.systemd.credential.binary:ssh.authorized_keys.root=c3NoLWVkMjU1MTkgQUFBQQ==");
}

TEST(SmbiosCredential, RejectsBadNames) {
  EXPECT_THROW(smbios_credential_entry("", "x"), Error);
  EXPECT_THROW(smbios_credential_entry("a/b", "x"), Error);
  EXPECT_THROW(smbios_credential_entry("a=b", "x"), Error);
}

TEST(FwCfgCredential, NamedUnderSystemdsDirectoryWithinQemusLimit) {
  EXPECT_EQ(fw_cfg_credential_name("ssh.authorized_keys.root"), "opt/io.systemd.credentials/ssh.authorized_keys.root");
  EXPECT_EQ(fw_cfg_credential_name(std::string(28, 'a')).size(), 55U) << "the longest QEMU takes";
  EXPECT_THROW(fw_cfg_credential_name(std::string(29, 'a')), Error) << "QEMU refuses a longer fw_cfg name";
  EXPECT_THROW(fw_cfg_credential_name("a/b"), Error);
  EXPECT_THROW(fw_cfg_credential_name(""), Error);
}

TEST(FwCfgCredential, OnlyTextTravelsAsText) {
  EXPECT_EQ(fw_cfg_credential_text("k", "ssh-ed25519 AAAA bcvk@vm\n"), "ssh-ed25519 AAAA bcvk@vm\n");
  EXPECT_EQ(fw_cfg_credential_text("k", "a\tb"), "a\tb");
  for (const std::string& bad : {std::string("a\0b", 3), std::string("\x1b[2J"), std::string("caf\xc3\xa9"),
                                 std::string("\r"), std::string("key,file=/etc/shadow"), std::string("a&b"),
                                 std::string("<x>"), std::string("it's"), std::string("\"q\"")}) {
    EXPECT_THROW(fw_cfg_credential_text("k", bad), Error) << bad;
  }
}
