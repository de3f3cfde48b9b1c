// What `ephemeral start` checks again before a kept VM boots. Disk files are QEMU's to open as root, with whatever the
// file says about other files: only root may be able to change them, and once a VM was made with one its format is
// never probed again from content the guest wrote (a raw disk the guest turned into a VMDK descriptor would name host
// files as its extents). And the SSH port may have been taken meanwhile.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "bcvk/host/host_inputs.hpp"
#include "bcvk/host/process.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/handle.hpp"

using namespace bcvk;
namespace fs = std::filesystem;

namespace {

// What a guest can write into the first sector of its raw disk.
const char* const k_vmdk_descriptor = "# Disk DescriptorFile\n"
                                      "version=1\n"
                                      "CID=fffffffe\n"
                                      "parentCID=ffffffff\n"
                                      "createType=\"monolithicFlat\"\n"
                                      "RW 8 FLAT \"/etc/shadow\" 0\n";

// Gives uid 65534 write access to `path` with a POSIX access ACL (user::rw-, user:65534:rw-,
// group::r--, mask::rw-, other::r--): the group bits then show the mask, the group stays root's.
bool grant_write_by_acl(const std::string& path) {
  const auto entry = [](std::uint16_t tag, std::uint16_t perm, std::uint32_t id) {
    std::string e(8, '\0');
    e[0] = static_cast<char>(tag & 0xff);
    e[1] = static_cast<char>(tag >> 8);
    e[2] = static_cast<char>(perm);
    for (int i = 0; i < 4; ++i) {
      e[4 + i] = static_cast<char>((id >> (8 * i)) & 0xff);
    }
    return e;
  };
  const std::uint32_t none = 0xffffffff;
  const std::string acl = std::string("\x02\0\0\0", 4) + entry(0x01, 6, none) + entry(0x02, 6, 65534) +
                          entry(0x04, 4, none) + entry(0x10, 6, none) + entry(0x20, 4, none);
  return ::setxattr(path.c_str(), "system.posix_acl_access", acl.data(), acl.size(), 0) == 0;
}

class StartRechecks : public ::testing::Test {
protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() / ("bcvk-disk-files-" + std::to_string(::getpid()));
    fs::create_directories(m_dir);
    fs::permissions(m_dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);
  }
  void TearDown() override { fs::remove_all(m_dir); }
  std::string disk(const std::string& name, const std::string& content, fs::perms mode = fs::perms(0600)) {
    const fs::path path = m_dir / name;
    std::ofstream(path, std::ios::binary) << content << std::string(65536, '\0');
    fs::permissions(path, mode);
    return path.string();
  }
  static InstanceRecord with_disk(const std::string& path, const std::string& format) {
    InstanceRecord state;
    state.name = "disks";
    state.disks = {{path, "data", format}};
    return state;
  }
  static std::string refusal(const InstanceRecord& state) {
    SystemProcessRunner runner;
    try {
      recheck_host_inputs(state, runner);
    } catch (const UsageError& e) {
      return e.what();
    }
    return "";
  }
  fs::path m_dir;
};

} // namespace

TEST_F(StartRechecks, ARawDiskTheGuestTurnedIntoAVmdkDescriptorStaysRaw) {
  const std::string path = disk("data.raw", k_vmdk_descriptor);
  EXPECT_EQ(refusal(with_disk(path, "raw")), "") << "the recorded format is used, the content never probed";
  // What probing it would have made of it: proof that the content is a trap.
  EXPECT_NE(refusal(with_disk(path, "")).find("is a vmdk image"), std::string::npos);
}

TEST_F(StartRechecks, ADiskThatCannotBeReadAsItsRecordedFormatIsRefused) {
  const std::string path = disk("data.raw", "plain data");
  EXPECT_NE(refusal(with_disk(path, "qcow2")).find("cannot read " + path + " as a disk image"), std::string::npos);
}

TEST_F(StartRechecks, OnlyRootMayBeAbleToChangeADiskFile) {
  const std::string theirs = disk("theirs.raw", "");
  ASSERT_EQ(::chown(theirs.c_str(), 65534, 65534), 0);
  EXPECT_NE(refusal(with_disk(theirs, "raw")).find(theirs + " belongs to uid 65534"), std::string::npos);
  const std::string open = disk("open.raw", "", fs::perms(0666));
  EXPECT_NE(refusal(with_disk(open, "raw")).find(open + " is writable by other users"), std::string::npos);
  const std::string group = disk("group.raw", "", fs::perms(0660));
  ASSERT_EQ(::chown(group.c_str(), 0, 65534), 0);
  EXPECT_NE(refusal(with_disk(group, "raw")).find("is writable by other users"), std::string::npos);
  EXPECT_EQ(refusal(with_disk(disk("mine.raw", "", fs::perms(0644)), "raw")), "");
}

TEST_F(StartRechecks, ASshPortTakenMeanwhileIsNamedBeforeTheVmBoots) {
  const Fd taken(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(taken.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(taken.get(), 1), 0);
  ASSERT_EQ(::getsockname(taken.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  InstanceRecord state;
  state.name = "kept";
  state.ssh_port = ntohs(addr.sin_port);
  EXPECT_NE(refusal(state).find("VM kept: its SSH port 127.0.0.1:" + std::to_string(state.ssh_port) +
                                " is taken by another program"),
            std::string::npos);
}

// An ACL that lets another user write the disk is as good as a mode that does.
TEST_F(StartRechecks, ADiskAnotherUserMayWriteThroughAnAclIsRefused) {
  const std::string path = disk("acl.raw", "", fs::perms(0644));
  const bool granted = grant_write_by_acl(path);
  if (!granted && errno == EOPNOTSUPP) {
    GTEST_SKIP() << m_dir << " is on a file system without POSIX ACLs: nobody can be granted write by one there";
  }
  ASSERT_TRUE(granted) << std::strerror(errno);
  EXPECT_NE(refusal(with_disk(path, "raw")).find(path + " is writable by other users"), std::string::npos);
  // And a directory on the way that an ACL opens to them makes every path below it swappable.
  fs::create_directories(m_dir / "opened");
  ASSERT_TRUE(grant_write_by_acl((m_dir / "opened").string()));
  const std::string below = disk("opened/data.raw", "");
  EXPECT_NE(refusal(with_disk(below, "raw")).find("can be changed by other users"), std::string::npos);
}
