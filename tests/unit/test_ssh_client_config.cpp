// The OpenSSH configuration `ephemeral ssh-config` prints (pure text).
#include <gtest/gtest.h>

#include "bcvk/util/error.hpp"
#include "bcvk/ssh/client_config.hpp"

using namespace bcvk;

TEST(SshClientConfig, HostBlockPinsTheVmsOwnKeyAndPort) {
  const std::string block = ssh_client_block(
      {"dev", 2222, "/var/lib/bcvk/instances/dev/ssh/id_ed25519", "/var/lib/bcvk/instances/dev/ssh/known_hosts"});
  EXPECT_EQ(block, "Host dev\n"
                   "  HostName 127.0.0.1\n"
                   "  Port 2222\n"
                   "  User root\n"
                   "  IdentityFile /var/lib/bcvk/instances/dev/ssh/id_ed25519\n"
                   "  IdentitiesOnly yes\n"
                   "  PreferredAuthentications publickey\n"
                   "  HostKeyAlias bcvk-dev\n"
                   "  UserKnownHostsFile /var/lib/bcvk/instances/dev/ssh/known_hosts\n"
                   "  GlobalKnownHostsFile /dev/null\n"
                   "  StrictHostKeyChecking yes\n"
                   "  UpdateHostKeys no\n");
}

TEST(SshClientConfig, PathsWithSpacesAreQuoted) {
  const std::string block = ssh_client_block({"dev", 1, "/state dir/id", "/state dir/kh"});
  EXPECT_NE(block.find("  IdentityFile \"/state dir/id\"\n"), std::string::npos);
  EXPECT_NE(block.find("  UserKnownHostsFile \"/state dir/kh\"\n"), std::string::npos);
}

TEST(SshClientConfig, PathsOpenSshWouldReadSpeciallyAreRefused) {
  for (const char* odd :
       {"/state%h/id", "/state\"x/id", "/state'x/id", "/state\\x/id", "/state${HOME}/id", "relative/id"}) {
    EXPECT_THROW(ssh_client_block({"dev", 1, odd, "/kh"}), Error) << odd;
    EXPECT_THROW(ssh_client_block({"dev", 1, "/id", odd}), Error) << odd;
  }
}

TEST(SshClientConfig, KnownHostsLineUnderTheAliasWithoutTheComment) {
  const std::string key = "AAAAC3NzaC1lZDI1NTE5AAAAIFd8bYs6Y0nVN0H6J2fY6iQ1V2k0c8m5p7f3b1G0nJ2x";
  EXPECT_EQ(known_hosts_line("dev", "ssh-ed25519 " + key + " bcvk host key of dev\n"),
            "bcvk-dev ssh-ed25519 " + key + "\n");
  EXPECT_THROW(known_hosts_line("dev", "ssh-rsa " + key), Error) << "the blob says ed25519";
  EXPECT_THROW(known_hosts_line("dev", "not a key"), Error);
  EXPECT_THROW(known_hosts_line("dev", "ssh-ed25519 AAAA\nevil-host ssh-rsa AAAA"), Error) << "one line, one key";
  EXPECT_THROW(known_hosts_line("dev", "ssh-ed25519"), Error);
  EXPECT_THROW(known_hosts_line("dev", "ssh-ed25519 AAA$(x)"), Error);
}
