// The state root is made by bcvk itself on first use: never through a link or below a directory
// another user could swap, and with modes that do not depend on the umask of whoever ran it first
// (QEMU's user must pass through the parents to reach the boot files).
#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../common/private_mount_namespace.hpp"
#include "bcvk/host/process.hpp"
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

// A share is checked against the state directory by identity and by its position in its file
// system, not by name. The layout is a bootc host's: a file system ("sysroot") whose deployment's
// var/ is bind-mounted as var/, which holds the state directory. The state directory reached
// through a bind of it (alias/), a bind of a directory inside it (vms/), the whole file system
// (sysroot/, which the path of the state directory never passes through), and a directory above
// where the state directory is going to be made are all refused.
TEST(StateDirShares, TheStateDirectoryByAnotherNameIsStillRefused) {
  using namespace bcvk::test_support;
  in_private_mount_namespace([](const fs::path& base) {
    fs::permissions(base, fs::perms(0755));
    mount_tmpfs(base / "sysroot", "16m");
    fs::create_directories(base / "sysroot/deploy/var/lib/state/instances");
    fs::permissions(base / "sysroot/deploy/var/lib/state", fs::perms(0700));
    for (const char* dir : {"var", "alias", "vms"}) {
      fs::create_directories(base / dir);
    }
    const auto bind = [](const fs::path& from, const fs::path& to) {
      if (::mount(from.c_str(), to.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        throw Error("cannot bind-mount " + from.string() + ": " + std::strerror(errno));
      }
    };
    bind(base / "sysroot/deploy/var", base / "var");
    bind(base / "var/lib/state", base / "alias");
    bind(base / "var/lib/state/instances", base / "vms");
    fs::create_directories(base / "fresh");
    std::ofstream(base / "var/lib/state/disk.raw") << std::string(4096, '\0');
    const auto refused = [&](const std::string& state, const std::vector<std::string>& option,
                             const std::string& words) {
      ::setenv("BCVK_STATE_DIR", state.c_str(), 1);
      std::vector<std::string> argv{BCVK_BINARY, "-c", "test:///default", "ephemeral", "run"};
      argv.insert(argv.end(), option.begin(), option.end());
      argv.push_back("localhost/none");
      SystemProcessRunner runner;
      const auto r = runner.run(argv);
      return check(r.status == 125 && r.err.find(words) != std::string::npos, option.back() + ": " + r.err);
    };
    const std::string state = (base / "var/lib/state").string();
    bool ok =
        refused(state, {"--ro-bind", (base / "alias/instances").string() + ":x"}, "is inside bcvk's state directory");
    ok &= refused(state, {"--bind", (base / "alias").string() + ":x"}, "is inside bcvk's state directory");
    ok &= refused(state, {"--bind", (base / "vms").string() + ":x"}, "is inside bcvk's state directory");
    fs::create_directories(base / "srv/vms");
    bind(base / "var/lib/state/instances", base / "srv/vms");
    ok &= refused(state, {"--ro-bind", (base / "srv").string() + ":x"}, "contains bcvk's state directory");
    ok &= refused(state, {"--ro-bind", (base / "sysroot").string() + ":x"}, "contains bcvk's state directory");
    ok &= refused(state, {"--ro-bind", (base / "sysroot/deploy").string() + ":x"}, "contains bcvk's state directory");
    ok &= refused(state, {"--mount-disk-file", (base / "alias/disk.raw").string()}, "state directory");
    ok &= refused((base / "fresh/later/state").string(), {"--ro-bind", (base / "fresh").string() + ":x"},
                  "contains bcvk's state directory");
    ::unsetenv("BCVK_STATE_DIR");
    return ok;
  });
}
