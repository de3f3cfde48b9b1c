// Following virtlogd's files across its rotations: every byte once, in order.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "bcvk/host/file_follower.hpp"
#include "bcvk/util/handle.hpp"

using namespace bcvk;
namespace fs = std::filesystem;

namespace {

class Follower : public ::testing::Test {
protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() / ("bcvk-follow-" + std::to_string(::getpid()));
    fs::create_directories(m_dir);
    m_out = Fd(::open((m_dir / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  }
  void TearDown() override { fs::remove_all(m_dir); }
  void append(const std::string& text) { std::ofstream(m_dir / "log", std::ios::app) << text; }
  // What virtlogd does when the file is full: shift the backups, then start a new file.
  void rotate() {
    fs::remove(m_dir / "log.2");
    for (int i = 1; i >= 0; --i) {
      const auto from = m_dir / ("log." + std::to_string(i));
      if (fs::exists(from)) {
        fs::rename(from, m_dir / ("log." + std::to_string(i + 1)));
      }
    }
    fs::rename(m_dir / "log", m_dir / "log.0");
    std::ofstream(m_dir / "log") << "";
  }
  std::string out() const {
    std::ifstream in(m_dir / "out");
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }
  fs::path m_dir;
  Fd m_out;
};

} // namespace

TEST_F(Follower, EveryByteOnceAcrossRotations) {
  FileFollower follower((m_dir / "log").string(), m_out.get());
  follower.pump(); // nothing written yet
  append("a1 ");
  follower.pump();
  append("a2 ");
  rotate();
  append("b1 ");
  follower.pump(); // the rest of the rotated file, then the new one
  append("b2 ");
  rotate();
  append("c1 ");
  rotate();
  append("d1 ");
  follower.pump(); // two rotations between calls
  append("d2");
  follower.pump();
  EXPECT_EQ(out(), "a1 a2 b1 b2 c1 d1 d2");
}

TEST_F(Follower, AFirstCallAfterRotationsStartsAtTheOldestGeneration) {
  append("old ");
  rotate();
  append("new");
  FileFollower follower((m_dir / "log").string(), m_out.get());
  follower.pump();
  EXPECT_EQ(out(), "old new");
}

TEST_F(Follower, AFileRotatedOutOfExistenceIsStillFinishedFromItsDescriptor) {
  FileFollower follower((m_dir / "log").string(), m_out.get());
  append("a1 ");
  follower.pump();
  append("a2 ");
  for (const char* next : {"b ", "c ", "d ", "e"}) {
    rotate(); // the fourth rotation deletes the file being followed
    append(next);
  }
  follower.pump();
  EXPECT_EQ(out(), "a1 a2 b c d e");
}
