// The state root is made by bcvk itself on first use: never through a link or below a directory
// another user could swap, and with modes that do not depend on the umask of whoever ran it first
// (QEMU's user must pass through the parents to reach the boot files).
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "bcvk/host/state_dir.hpp"
#include "bcvk/util/error.hpp"

using namespace bcvk;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

class StateRoot : public ::testing::Test {
protected:
  void SetUp() override {
    m_base = fs::temp_directory_path() / ("bcvk-state-root-" + std::to_string(::getpid()));
    fs::create_directories(m_base);
    fs::permissions(m_base, fs::perms(0755));
    m_umask = ::umask(077);
  }
  void TearDown() override {
    ::umask(m_umask);
    ::unsetenv("BCVK_STATE_DIR");
    fs::remove_all(m_base);
  }
  fs::path m_base;
  mode_t m_umask = 022;
};

} // namespace

TEST_F(StateRoot, MissingParentsAreMade0755WhateverTheUmask) {
  ::setenv("BCVK_STATE_DIR", (m_base / "a/b/state").c_str(), 1);
  const std::string root = ensure_state_root();
  EXPECT_EQ(root, (m_base / "a/b/state").string());
  EXPECT_EQ(mode_of(m_base / "a"), 0755U);
  EXPECT_EQ(mode_of(m_base / "a/b"), 0755U);
  EXPECT_EQ(mode_of(m_base / "a/b/state"), k_state_dir_mode);
}

TEST_F(StateRoot, NothingIsMadeBelowADirectoryOthersCanChange) {
  fs::create_directories(m_base / "open");
  fs::permissions(m_base / "open", fs::perms::all); // 0777, no sticky bit
  ::setenv("BCVK_STATE_DIR", (m_base / "open/x/state").c_str(), 1);
  try {
    ensure_state_root();
    ADD_FAILURE() << "made below a directory anyone can change";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find((m_base / "open").string() + " can be changed by other users"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(fs::is_empty(m_base / "open")) << "something was made before the check";
}

TEST_F(StateRoot, AnExistingLinkOnTheWayIsResolvedOnceAndWhatIsMadeIsMadeInItsTarget) {
  fs::create_directories(m_base / "elsewhere");
  fs::create_directory_symlink(m_base / "elsewhere", m_base / "parent");
  // The link exists, so it is resolved as the existing part of the path; what is made is made in
  // its target, never left as a link to be followed later.
  ::setenv("BCVK_STATE_DIR", (m_base / "parent/state").c_str(), 1);
  EXPECT_EQ(ensure_state_root(), (m_base / "elsewhere/state").string());
  EXPECT_EQ(mode_of(m_base / "elsewhere/state"), k_state_dir_mode);
}

TEST_F(StateRoot, DotStepsAreRefusedBeforeAnythingIsMade) {
  for (const std::string& path :
       {(m_base / "nonexistent/../x").string(), (m_base / "./x").string(), m_base.string() + "//x"}) {
    ::setenv("BCVK_STATE_DIR", path.c_str(), 1);
    try {
      ensure_state_root();
      ADD_FAILURE() << path << " was used";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("is not a normalised path"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(fs::is_empty(m_base));
}
