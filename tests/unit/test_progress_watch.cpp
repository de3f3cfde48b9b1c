// Waits on a guest end on progress or a hard cap, and say which; libvirt's log tells a crash.
#include <gtest/gtest.h>

#include <algorithm>

#include "bcvk/util/progress_watch.hpp"
#include "bcvk/vm/emulator_log.hpp"
#include "bcvk/vm/ssh_wait.hpp"

using namespace bcvk;
using namespace std::chrono_literals;

namespace {

using Verdict = ProgressWatch::Verdict;
const ProgressWatch::Clock::time_point t0{};

} // namespace

TEST(ProgressWatch, AGuestThatKeepsWritingIsWaitedForUpToTheHardCap) {
  ProgressWatch watch(t0, 900s, 180s);
  for (int s = 0; s < 900; s += 10) {
    watch.observe(t0 + std::chrono::seconds(s), std::to_string(s)); // new output every 10 s
    EXPECT_EQ(watch.verdict(t0 + std::chrono::seconds(s)), Verdict::waiting) << s;
  }
  EXPECT_EQ(watch.verdict(t0 + 900s), Verdict::capped);
}

TEST(ProgressWatch, AGuestThatFallsSilentIsStuckAfterTheStallLimit) {
  ProgressWatch watch(t0, 900s, 180s);
  watch.observe(t0, "0/0");
  watch.observe(t0 + 30s, "4096/0");
  watch.observe(t0 + 100s, "4096/0"); // the same as before: no progress since 30 s
  EXPECT_EQ(watch.verdict(t0 + 209s), Verdict::waiting);
  EXPECT_EQ(watch.verdict(t0 + 210s), Verdict::stalled);
  EXPECT_EQ(watch.quiet_for(t0 + 210s), 180s);
  watch.observe(t0 + 211s, "4097/0"); // one more byte: not stuck after all
  EXPECT_EQ(watch.verdict(t0 + 300s), Verdict::waiting);
}

TEST(ProgressWatch, SilenceFromTheStartCountsAndTheHardCapWinsATie) {
  ProgressWatch silent(t0, 900s, 180s);
  silent.observe(t0 + 5s, "0/0"); // the first look is not progress
  EXPECT_EQ(silent.verdict(t0 + 180s), Verdict::stalled);
  ProgressWatch capped(t0, 60s, 60s);
  EXPECT_EQ(capped.verdict(t0 + 60s), Verdict::capped);
}

TEST(SshWaitLimits, EmulatedGuestsGetALongerCapAndStallLimitAndAnExplicitCapWins) {
  const auto kvm = ssh_wait_limits(std::nullopt, false);
  EXPECT_EQ(kvm.hard_cap, 240s);
  EXPECT_EQ(kvm.stall_limit, 60s);
  const auto tcg = ssh_wait_limits(std::nullopt, true);
  EXPECT_EQ(tcg.hard_cap, 900s);
  EXPECT_EQ(tcg.stall_limit, 180s);
  EXPECT_EQ(ssh_wait_limits(30U, true).hard_cap, 30s);
  EXPECT_EQ(ssh_wait_limits(30U, true).stall_limit, 180s);
}

TEST(EmulatorLog, ACrashOfTheLastRunIsToldWithQemusLastWords) {
  const std::string log = "2026-12-01 22:00:00.000+0000: starting up libvirt version: 9.0.0\n"
                          "char device redirected to /dev/pts/3 (label charserial0)\n"
                          "2026-12-01 22:01:00.000+0000: shutting down, reason=destroyed\n"
                          "2026-12-01 23:00:00.000+0000: starting up libvirt version: 9.0.0\n"
                          "char device redirected to /dev/pts/4 (label charserial0)\n"
                          "qemu-system-x86_64: ../tcg/tcg.c:3808: tcg_reg_alloc_op: Assertion `ts->val_type' failed.\n"
                          "2026-12-01 23:00:40.123+0000: shutting down, reason=crashed\n";
  EXPECT_EQ(emulator_crash(log), "qemu-system-x86_64: ../tcg/tcg.c:3808: tcg_reg_alloc_op: Assertion `ts->val_type' "
                                 "failed.; then 2026-12-01 23:00:40.123+0000: shutting down, reason=crashed");
}

TEST(EmulatorLog, ASilentCrashIsLibvirtsLineAloneAndStartUpChatterIsNoAccount) {
  const std::string log = "2026-12-01 23:00:00.000+0000: starting up libvirt version: 9.0.0\n"
                          "char device redirected to /dev/pts/4 (label charserial0)\n"
                          "2026-12-01 23:00:40.123+0000: shutting down, reason=crashed\n";
  EXPECT_EQ(emulator_crash(log), "2026-12-01 23:00:40.123+0000: shutting down, reason=crashed");
}

TEST(EmulatorLog, AnEarlierRunsCrashOrARunStillGoingIsNoCrash) {
  EXPECT_EQ(emulator_crash("2026-12-01 22:00:00.000+0000: starting up libvirt version: 9.0.0\n"
                           "2026-12-01 22:00:40.123+0000: shutting down, reason=crashed\n"
                           "2026-12-01 23:00:00.000+0000: starting up libvirt version: 9.0.0\n"
                           "2026-12-01 23:01:00.000+0000: shutting down, reason=shutdown\n"),
            std::nullopt);
  EXPECT_EQ(emulator_crash("2026-12-01 23:00:00.000+0000: starting up libvirt version: 9.0.0\n"), std::nullopt);
  EXPECT_EQ(emulator_crash(""), std::nullopt);
  // The guest cannot forge libvirt's line: QEMU's output is not time-stamped by libvirt.
  EXPECT_EQ(emulator_crash("2026-12-01 23:00:00.000+0000: starting up libvirt version: 9.0.0\n"
                           "shutting down, reason=crashed\n"),
            std::nullopt);
}

TEST(EmulatorLog, ControlCharactersInTheLogNeverReachTheTerminal) {
  const std::string log = "2026-12-01 23:00:00.000+0000: starting up\n"
                          "qemu-system-x86_64: \x1b[2Jbad\n"
                          "2026-12-01 23:00:40.123+0000: shutting down, reason=crashed\n";
  const auto crash = emulator_crash(log);
  ASSERT_TRUE(crash);
  EXPECT_EQ(crash->find('\x1b'), std::string::npos) << *crash;
}

TEST(EmulatorLog, QemusOwnTimeStampsAreReadAndLibvirtsLineMustBeWhole) {
  const std::string log = "2026-12-01 23:00:00.000+0000: starting up libvirt version: 9.0.0\n"
                          "2026-12-01T23:00:39.999999Z qemu-system-x86_64: terminating on signal 11\n"
                          "2026-12-01 23:00:40.123+0000: shutting down, reason=crashed\n";
  EXPECT_EQ(emulator_crash(log),
            "qemu-system-x86_64: terminating on signal 11; then 2026-12-01 23:00:40.123+0000: shutting down, "
            "reason=crashed");
  EXPECT_EQ(emulator_crash("2026-12-01 23:00:00.000+0000: starting up\n"
                           " 2026-12-01 23:00:40.123+0000: shutting down, reason=crashed\n"),
            std::nullopt)
      << "not at the start of the line: not libvirt's";
  EXPECT_EQ(emulator_crash("2026-12-01 23:00:00.000+0000: starting up\n"
                           "2026-12-01 23:00:40.123+0100: shutting down, reason=crashed\n"),
            std::nullopt)
      << "libvirt writes UTC";
}

TEST(EmulatorLog, EightBitControlCharactersAreReplacedToo) {
  const std::string log = "2026-12-01 23:00:00.000+0000: starting up\n"
                          "qemu-system-x86_64: \x9b"
                          "2Jbad \xc2\x9b\n"
                          "2026-12-01 23:00:40.123+0000: shutting down, reason=crashed\n";
  const auto crash = emulator_crash(log);
  ASSERT_TRUE(crash);
  EXPECT_TRUE(std::none_of(crash->begin(), crash->end(), [](char c) { return static_cast<unsigned char>(c) >= 0x7f; }))
      << *crash;
}
