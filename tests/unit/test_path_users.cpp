// Which host processes use an instance's files: the evidence `rm --forget` goes by when the
// libvirt an instance was made on no longer answers.
#include <gtest/gtest.h>
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
