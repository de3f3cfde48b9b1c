// A foreground --execute run gives up on a guest that falls silent before its commands start, or
// that never gets there within the hard cap however much it writes; never on one whose commands
// run (however quietly) or that keeps writing within the cap. The watch is given the time, so
// these tests step a clock instead of sleeping.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "bcvk/instance/execute_start_watch.hpp"

using namespace bcvk;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const SshWaitLimits k_limits{.hard_cap = 60s, .stall_limit = 5s};

class ExecuteStart : public ::testing::Test {
protected:
  void SetUp() override {
    m_root = fs::temp_directory_path() / ("bcvk-execute-start-" + std::to_string(::getpid()));
    fs::create_directories(m_root / "overlay/root/etc"); // the guest's root, as the host sees it
  }
  void TearDown() override { fs::remove_all(m_root); }
  ExecuteStartWatch watch() const { return {InstanceLayout(m_root.string()), "vm", k_limits, m_start}; }
  // Looks every half second of watch time for `seconds`; why it gave up, or "" when it never did.
  std::string watch_for(ExecuteStartWatch& w, int seconds, const std::function<void()>& meanwhile = {},
                        bool running = true) {
    for (int i = 0; i <= seconds * 2; ++i) {
      if (const auto why = w.check(m_start + i * 500ms, [running] { return running; })) {
        return *why;
      }
      if (meanwhile) {
        meanwhile();
      }
    }
    return "";
  }
  fs::path m_root;
  ProgressWatch::Clock::time_point m_start = ProgressWatch::Clock::now();
};

} // namespace

TEST_F(ExecuteStart, ASilentGuestIsStuckAfterTheStallLimit) {
  std::ofstream(m_root / "console.log") << "Linux version 6.1\n";
  auto w = watch();
  EXPECT_EQ(watch_for(w, 4), "") << "not before the stall limit";
  auto again = watch();
  const std::string why = watch_for(again, 8);
  EXPECT_NE(why.find("VM vm made no progress for 5 s"), std::string::npos) << why;
  EXPECT_NE(why.find("before its --execute commands started"), std::string::npos) << why;
}

TEST_F(ExecuteStart, AGuestThatKeepsWritingIsNotStuckButMeetsTheHardCap) {
  std::ofstream journal(m_root / "journal.log");
  const auto write_a_line = [&journal] {
    journal << "A start job is running for a device (1s / no limit)\n" << std::flush;
  };
  auto w = watch();
  EXPECT_EQ(watch_for(w, 59, write_a_line), "") << "progress, within the cap";
  auto capped = watch();
  const std::string why = watch_for(capped, 61, write_a_line);
  EXPECT_NE(why.find("VM vm did not start its --execute commands within 60 s, the hard cap (--ssh-timeout)"),
            std::string::npos)
      << why;
}

TEST_F(ExecuteStart, CommandsThatRunQuietlyAreNeverCutShort) {
  auto w = watch();
  fs::create_directories(m_root / "overlay/root/etc/bcvk");
  std::ofstream(m_root / "overlay/root/etc/bcvk/execute.done") << "ran\n";
  EXPECT_EQ(watch_for(w, 120), "");
}

TEST_F(ExecuteStart, AMarkerBehindALinkOfTheGuestsCountsButNeverOneOutsideItsRoot) {
  // The image may ship /etc/bcvk as a link within the guest: the marker lands where it points.
  fs::create_directories(m_root / "overlay/root/var/lib/bcvk");
  fs::create_directory_symlink("../var/lib/bcvk", m_root / "overlay/root/etc/bcvk");
  std::ofstream(m_root / "overlay/root/var/lib/bcvk/execute.done") << "ran\n";
  auto followed = watch();
  EXPECT_EQ(watch_for(followed, 10), "");
  // A link to an absolute path means that path inside the guest's root, never the host's.
  fs::remove(m_root / "overlay/root/etc/bcvk");
  fs::create_directories(m_root / "host/etc/bcvk");
  std::ofstream(m_root / "host/etc/bcvk/execute.done") << "ran\n";
  fs::create_directory_symlink(m_root / "host/etc/bcvk", m_root / "overlay/root/etc/bcvk");
  auto w = watch();
  EXPECT_NE(watch_for(w, 10), "") << "a marker outside the overlay was believed";
}

TEST_F(ExecuteStart, AVmThatStoppedIsNotCalledStuck) {
  auto stopped = watch();
  EXPECT_EQ(watch_for(stopped, 10, {}, false), "") << "its stop is reported by whoever waits for it";
  auto running = watch();
  EXPECT_NE(watch_for(running, 10, {}, true), "") << "the same guest, still running, is";
}
