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
