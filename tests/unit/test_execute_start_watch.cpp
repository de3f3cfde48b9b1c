// A foreground --execute run gives up on a guest that falls silent before its commands start, and
// never on one whose commands run (however quietly) or that keeps writing.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "bcvk/instance/execute_start_watch.hpp"
#include "bcvk/util/error.hpp"

using namespace bcvk;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

class ExecuteStart : public ::testing::Test {
protected:
  void SetUp() override {
    m_root = fs::temp_directory_path() / ("bcvk-execute-start-" + std::to_string(::getpid()));
    fs::create_directories(m_root / "overlay/root/etc"); // the guest's root, as the host sees it
  }
  void TearDown() override { fs::remove_all(m_root); }
  // Looks (once a second at most) until `seconds` have passed or the watch throws; the message.
  std::string watch_for(ExecuteStartWatch& watch, int seconds, const std::function<void()>& meanwhile = {},
                        bool running = true) {
    for (int i = 0; i < seconds * 10; ++i) {
      try {
        watch.check([running] { return running; }, [] { return std::string("/kept/console.log"); });
      } catch (const Error& e) {
        return e.what();
      }
      if (meanwhile) {
        meanwhile();
      }
      std::this_thread::sleep_for(100ms);
    }
    return "";
  }
  fs::path m_root;
};

} // namespace

TEST_F(ExecuteStart, ASilentGuestIsStuckAfterTheStallLimit) {
  std::ofstream(m_root / "console.log") << "Linux version 6.1\n";
  ExecuteStartWatch watch(InstanceLayout(m_root.string()), "vm", 1s);
  const std::string why = watch_for(watch, 5);
  EXPECT_NE(why.find("VM vm made no progress for "), std::string::npos) << why;
  EXPECT_NE(why.find("before its --execute commands started"), std::string::npos) << why;
  EXPECT_NE(why.find("/kept/console.log"), std::string::npos) << why;
}

TEST_F(ExecuteStart, AGuestThatKeepsWritingIsNotStuck) {
  ExecuteStartWatch watch(InstanceLayout(m_root.string()), "vm", 1s);
  std::ofstream journal(m_root / "journal.log");
  EXPECT_EQ(watch_for(watch, 4, [&journal] { journal << "a line\n" << std::flush; }), "");
}

TEST_F(ExecuteStart, CommandsThatRunQuietlyAreNeverCutShort) {
  ExecuteStartWatch watch(InstanceLayout(m_root.string()), "vm", 1s);
  fs::create_directories(m_root / "overlay/root/etc/bcvk");
  std::ofstream(m_root / "overlay/root/etc/bcvk/execute.done") << "ran\n";
  EXPECT_EQ(watch_for(watch, 4), "");
}

TEST_F(ExecuteStart, AMarkerBehindALinkOfTheGuestsCountsButNeverOneOutsideItsRoot) {
  // The image may ship /etc/bcvk as a link within the guest: the marker lands where it points.
  fs::create_directories(m_root / "overlay/root/var/lib/bcvk");
  fs::create_directory_symlink("../var/lib/bcvk", m_root / "overlay/root/etc/bcvk");
  std::ofstream(m_root / "overlay/root/var/lib/bcvk/execute.done") << "ran\n";
  ExecuteStartWatch followed(InstanceLayout(m_root.string()), "vm", 1s);
  EXPECT_EQ(watch_for(followed, 3), "");
  // A link to an absolute path means that path inside the guest's root, never the host's.
  fs::remove(m_root / "overlay/root/etc/bcvk");
  fs::create_directories(m_root / "host/etc/bcvk");
  std::ofstream(m_root / "host/etc/bcvk/execute.done") << "ran\n";
  fs::create_directory_symlink(m_root / "host/etc/bcvk", m_root / "overlay/root/etc/bcvk");
  ExecuteStartWatch watch(InstanceLayout(m_root.string()), "vm", 1s);
  EXPECT_NE(watch_for(watch, 5), "") << "a marker outside the overlay was believed";
}

TEST_F(ExecuteStart, AVmThatStoppedIsNotCalledStuck) {
  ExecuteStartWatch watch(InstanceLayout(m_root.string()), "vm", 1s);
  EXPECT_EQ(watch_for(watch, 3, {}, false), "") << "its stop is reported by whoever waits for it";
}
