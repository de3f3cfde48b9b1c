// The pure parts of SSH support: key parsing, forward specs, command lines, exit statuses.
#include <gtest/gtest.h>

#include <csignal>

#include "bcvk/vm/credentials.hpp"
#include "bcvk/vm/guest_files.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/vm/ssh_forward.hpp"
#include "bcvk/ssh/remote.hpp"
#include "bcvk/ssh/keys.hpp"

using namespace bcvk;

namespace {

// A real ed25519 public key line as ssh-keygen writes it.
const std::string k_public_line =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIdNp6sYvGMhUlcZqPFVQXxJXbtSN0qqO2SgB3c/7zvC bcvk@vm\n";

} // namespace

TEST(Base64Decode, InvertsEncode) {
  for (const std::string text : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(base64_decode(base64_encode(text)), text);
  }
  const std::string binary("\xff\xfe\x00\x01", 4);
  EXPECT_EQ(base64_decode(base64_encode(binary)), binary);
  EXPECT_EQ(base64_decode("Zm9vYmFy"), "foobar");
}

TEST(Base64Decode, RejectsGarbage) {
  EXPECT_THROW(base64_decode("Zm9v!"), Error);
  EXPECT_THROW(base64_decode("Z"), Error);
}

TEST(PublicKey, ParsesTypeAndWireBlob) {
  const PublicKey key = parse_public_key(k_public_line);
  EXPECT_EQ(key.type, "ssh-ed25519");
  // 4-byte length + "ssh-ed25519" + 4-byte length + 32-byte key.
  ASSERT_EQ(key.blob.size(), 4U + 11U + 4U + 32U);
  EXPECT_EQ(key.blob.substr(4, 11), "ssh-ed25519");
}

TEST(PublicKey, RejectsWhatIsNotAKey) {
  EXPECT_THROW(parse_public_key("hello"), Error);
  EXPECT_THROW(parse_public_key("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIIdNp6sYvGMhUlcZqPFVQXxJXbtSN0qqO2SgB3c/7zvC"), Error);
  EXPECT_THROW(parse_public_key("ssh-ed25519 !!!!"), Error);
}

TEST(AuthorizedKeysCredential, IsTheRootCredentialEndingInNewline) {
  const Credential c = authorized_keys_credential("ssh-ed25519 AAAA x");
  EXPECT_EQ(c.name, "ssh.authorized_keys.root");
  EXPECT_EQ(c.value, "ssh-ed25519 AAAA x\n");
  EXPECT_EQ(authorized_keys_credential(k_public_line).value, k_public_line);
}

TEST(HostKeyFiles, PrivateKeyIsOwnerOnly) {
  const auto files = host_key_files("PRIVATE", "ssh-ed25519 AAAA root@vm\n");
  ASSERT_EQ(files.size(), 2U);
  EXPECT_EQ(files[0].path, "etc/ssh/ssh_host_ed25519_key");
  EXPECT_EQ(files[0].mode, 0600U);
  EXPECT_EQ(files[0].content, "PRIVATE");
  EXPECT_EQ(files[1].path, "etc/ssh/ssh_host_ed25519_key.pub");
  EXPECT_EQ(files[1].mode, 0644U);
}

TEST(ForwardSpec, ThreeFieldsBindLoopback) {
  const auto spec = parse_forward(ForwardDirection::local, "8080:localhost:80");
  EXPECT_EQ(spec, (ForwardSpec{ForwardDirection::local, "127.0.0.1", 8080, "localhost", 80}));
}

TEST(ForwardSpec, BindAddressAndIpv6Brackets) {
  EXPECT_EQ(parse_forward(ForwardDirection::remote, "0.0.0.0:2222:10.0.0.1:22"),
            (ForwardSpec{ForwardDirection::remote, "0.0.0.0", 2222, "10.0.0.1", 22}));
  EXPECT_EQ(parse_forward(ForwardDirection::local, "[::1]:8080:[fe80::1]:80"),
            (ForwardSpec{ForwardDirection::local, "::1", 8080, "fe80::1", 80}));
  EXPECT_EQ(parse_forward(ForwardDirection::local, "localhost:9000:db:5432").bind_address, "127.0.0.1");
}

TEST(ForwardSpec, BadSpecsNameTheOptionAndTheSyntax) {
  for (const std::string bad : {"8080", "8080:80", "a:b:c:d:e", "0:localhost:80", "70000:localhost:80", "8080::80",
                                "8080:localhost:http", "8080:localhost:"}) {
    try {
      parse_forward(ForwardDirection::remote, bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const UsageError& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind("-R: invalid forward '" + bad + "'", 0), 0U) << what;
      EXPECT_NE(what.find("[BIND_ADDRESS:]PORT:HOST:HOSTPORT"), std::string::npos) << what;
    }
  }
}

TEST(RemoteCommandLine, JoinsWordsLikeOpenSsh) {
  EXPECT_EQ(remote_command_line({}), "");
  EXPECT_EQ(remote_command_line({"echo hi; exit 3"}), "echo hi; exit 3");
  EXPECT_EQ(remote_command_line({"ls", "-la", "/"}), "ls -la /");
}

TEST(ExitSignal, MapsToShellStyleStatus) {
  EXPECT_EQ(exit_status_for_signal("TERM"), 128 + SIGTERM);
  EXPECT_EQ(exit_status_for_signal("KILL"), 137);
  EXPECT_EQ(exit_status_for_signal("SIGINT"), 130);
  EXPECT_EQ(exit_status_for_signal("WEIRD"), 255);
}
