// Which host processes use an instance's files: the evidence `rm --forget` goes by when the
// libvirt an instance was made on no longer answers.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "../common/child_holding.hpp"
#include "bcvk/host/path_users.hpp"
#include "bcvk/util/files.hpp"

using namespace bcvk;
namespace fs = std::filesystem;

TEST(IsAtOrBelow, ComparesWholePathComponents) {
  EXPECT_TRUE(is_at_or_below("/a/b", "/a/b"));
  EXPECT_TRUE(is_at_or_below("/a/b/c", "/a/b"));
  EXPECT_TRUE(is_at_or_below("/a/b/c", "/a/b/"));
  EXPECT_TRUE(is_at_or_below("/anything", "/"));
  EXPECT_FALSE(is_at_or_below("/a/bc", "/a/b")) << "a sibling sharing a prefix is not below";
  EXPECT_FALSE(is_at_or_below("/a", "/a/b"));
  EXPECT_FALSE(is_at_or_below("", "/a"));
  EXPECT_TRUE(is_at_or_below("/", "/"));
  EXPECT_TRUE(is_at_or_below("/a/b", "/a/b/"));
  EXPECT_FALSE(is_at_or_below("/a", "")) << "no directory names nothing";
}

class PathUsers : public ::testing::Test {
protected:
  void SetUp() override {
    m_dir = fs::canonical(fs::temp_directory_path()) / ("bcvk-users-" + std::to_string(::getpid()));
    fs::create_directories(m_dir / "inner");
    fs::create_directories(m_dir.string() + "-sibling");
    std::ofstream(m_dir / "inner" / "disk.img") << "x";
  }
  void TearDown() override {
    fs::remove_all(m_dir);
    fs::remove_all(m_dir.string() + "-sibling");
  }
  bool used_by(pid_t pid) const {
    const auto users = processes_using(m_dir.string());
    return std::any_of(users.begin(), users.end(), [pid](const PathUser& u) { return u.pid == pid; });
  }
  fs::path m_dir;
};

TEST_F(PathUsers, AProcessHoldingAFileBelowIsFoundUntilItEnds) {
  EXPECT_TRUE(processes_using(m_dir.string()).empty()) << "this process itself (holding the lock) never counts";
  test_support::ChildHolding child((m_dir / "inner" / "disk.img").string());
  ASSERT_GT(child.pid(), 0);
  const auto users = processes_using(m_dir.string());
  ASSERT_EQ(users.size(), 1U);
  EXPECT_EQ(users[0].pid, child.pid());
  EXPECT_EQ(users[0].command, "sleep");
  EXPECT_EQ(users[0].path, (m_dir / "inner" / "disk.img").string());
  child.end();
  EXPECT_FALSE(used_by(child.pid()));
}

TEST_F(PathUsers, ADeletedFileStillCountsAndASiblingDirectoryDoesNot) {
  test_support::ChildHolding deleted((m_dir / "inner" / "disk.img").string());
  fs::remove(m_dir / "inner" / "disk.img");
  EXPECT_TRUE(used_by(deleted.pid())) << "the file is gone from the directory, not from the running VM";
  test_support::ChildHolding sibling(m_dir.string() + "-sibling");
  EXPECT_FALSE(used_by(sibling.pid()));
}

TEST_F(PathUsers, TheDirectoryItselfCounts) {
  test_support::ChildHolding holder(m_dir.string());
  EXPECT_TRUE(used_by(holder.pid()));
}

// virtiofsd runs in a mount namespace of its own, pivoted into the shared directory: none of its
// links name the instance's path, yet its namespace holds the instance's root mount.
TEST_F(PathUsers, AnotherMountNamespaceHoldingTheInstancesMountIsFound) {
  const fs::path root = m_dir / "root";
  fs::create_directories(root);
  ASSERT_EQ(::mount("bcvk-test", root.c_str(), "tmpfs", 0, "size=1m"), 0);
  test_support::ChildHolding sandboxed(
      "", {"/usr/bin/unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", "cd / && exec sleep 600"});
  const std::string ns = "/proc/" + std::to_string(sandboxed.pid()) + "/ns/mnt";
  // The namespace exists once unshare has exec'd sleep; until then the child shares ours.
  for (int i = 0; i < 500 && fs::read_symlink(ns) == fs::read_symlink("/proc/self/ns/mnt"); ++i) {
    ::usleep(10'000);
  }
  const auto users = processes_using(m_dir.string());
  const auto found =
      std::find_if(users.begin(), users.end(), [&](const PathUser& u) { return u.pid == sandboxed.pid(); });
  ASSERT_NE(found, users.end());
  EXPECT_NE(found->path.find("in its own mount namespace"), std::string::npos) << found->path;
  sandboxed.end();
  EXPECT_EQ(::umount2(root.c_str(), 0), 0);
  EXPECT_FALSE(used_by(sandboxed.pid()));
}
