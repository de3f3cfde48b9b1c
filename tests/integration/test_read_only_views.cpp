// Read-only views of host directories (--ro-bind), made for real (needs root, no VM): read-only
// all the way down, nosuid/nodev, and releasing them never unmounts anything of the host, even
// when the shared directory is a shared mount with submounts (the /dev with /dev/pts case).
#include <gtest/gtest.h>

#include <algorithm>

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "bcvk/util/error.hpp"
#include "bcvk/host/mounts.hpp"
#include "bcvk/util/rooted_fs.hpp"

using namespace bcvk;
namespace fs = std::filesystem;

namespace {

bool is_mount_point(const std::string& path) {
  const auto below = mounts_below(path);
  return std::find(below.begin(), below.end(), path) != below.end();
}

int write_errno(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return 0;
  }
  return errno;
}

class ReadOnlyView : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0U) << "these tests mount file systems: run them as root";
    m_base = fs::temp_directory_path() / ("bcvk-views-" + std::to_string(::getpid()));
    fs::create_directories(m_base / "source");
    fs::create_directories(m_base / "view");
    // A shared tmpfs with a submount, like /dev with /dev/pts on a systemd host.
    ASSERT_EQ(::mount("tmpfs", (m_base / "source").c_str(), "tmpfs", 0, "size=1m"), 0) << std::strerror(errno);
    ASSERT_EQ(::mount(nullptr, (m_base / "source").c_str(), nullptr, MS_SHARED, nullptr), 0);
    fs::create_directories(m_base / "source/sub");
    ASSERT_EQ(::mount("tmpfs", (m_base / "source/sub").c_str(), "tmpfs", 0, "size=1m"), 0);
    std::ofstream(m_base / "source/sub/file") << "x";
  }
  void TearDown() override {
    if (m_base.empty()) {
      return;
    }
    for (const auto& m : mounts_below(m_base.string())) {
      ::umount2(m.c_str(), MNT_DETACH);
    }
    fs::remove_all(m_base);
  }
  fs::path m_base;
};

TEST_F(ReadOnlyView, SubmountsAreReadOnlyAndReleasingKeepsTheHostsMounts) {
  bind_mount_read_only((m_base / "source").string(), (m_base / "view").string());
  EXPECT_EQ(write_errno(m_base / "view/new"), EROFS);
  EXPECT_EQ(write_errno(m_base / "view/sub/new"), EROFS) << "a submount stayed writable";
  EXPECT_EQ(write_errno(m_base / "source/sub/new"), 0) << "the source itself must stay writable";
  {
    std::ifstream in(m_base / "view/sub/file");
    EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), {}), "x");
  }

  // What release_instance does.
  release_mounts_below((m_base / "view").string());
  EXPECT_TRUE(mounts_below((m_base / "view").string()).empty());
  EXPECT_TRUE(is_mount_point((m_base / "source/sub").string()))
      << "unmounting the view unmounted the source's submount";
  EXPECT_TRUE(fs::exists(m_base / "source/sub/file"));
}

TEST_F(ReadOnlyView, ViewsAreNosuidNodevAndPrivate) {
  bind_mount_read_only((m_base / "source").string(), (m_base / "view").string());
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  int seen = 0;
  while (std::getline(mountinfo, line)) {
    if (line.find((m_base / "view").string()) == std::string::npos) {
      continue;
    }
    ++seen;
    EXPECT_NE(line.find(" ro,nosuid,nodev"), std::string::npos) << line;
    EXPECT_EQ(line.find("shared:"), std::string::npos) << "view is not private: " << line;
  }
  EXPECT_EQ(seen, 2) << "the view and its submount";
}

TEST_F(ReadOnlyView, RemovingATreeNeverDescendsIntoAMount) {
  fs::create_directories(m_base / "instance/ro/view");
  bind_mount_read_only((m_base / "source").string(), (m_base / "instance/ro/view").string());
  EXPECT_THROW(remove_tree_nofollow((m_base / "instance").string()), Error);
  EXPECT_TRUE(fs::exists(m_base / "source/sub/file"));
}

} // namespace
