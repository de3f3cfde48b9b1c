// What `stats` computes from libvirt's numbers and /proc's text, and how it shows them.
#include <gtest/gtest.h>

#include "bcvk/util/clock.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/size.hpp"
#include "bcvk/util/terminal_frame.hpp"
#include "../common/golden_specs.hpp"
#include "bcvk/vm/domain_xml.hpp"
#include "bcvk/vm/proc_files.hpp"
#include "bcvk/vm/verb_options.hpp"
#include "bcvk/vm/vm_stats.hpp"

using namespace bcvk;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::uint64_t k_second_ns = 1'000'000'000ULL;

// A record as libvirt 9.0's QEMU driver gave it for a two-vCPU bcvk VM (numbers only).
std::map<std::string, std::uint64_t> qemu_record() {
  return {{"state.state", 1},           {"cpu.time", 45763010000},
          {"cpu.user", 41000000000},    {"balloon.current", 4194304},
          {"balloon.maximum", 4194304}, {"balloon.available", 4013452},
          {"balloon.usable", 3774940},  {"balloon.unused", 3600000},
          {"balloon.rss", 1142240},     {"vcpu.current", 2},
          {"vcpu.maximum", 2},          {"vcpu.0.time", 21720000000},
          {"vcpu.1.time", 18170000000}, {"net.count", 0},
          {"block.count", 2},           {"block.0.rd.bytes", 1000},
          {"block.0.wr.bytes", 2000},   {"block.1.rd.bytes", 30},
          {"block.1.wr.bytes", 40}};
}

VmSample sample_at(Clock::time_point t, std::uint64_t cpu_ns, std::uint64_t vcpu_ns, unsigned vcpus) {
  VmSample s;
  s.taken = t;
  s.cpu_time_ns = cpu_ns;
  s.vcpu_time_ns = vcpu_ns;
  s.vcpus = vcpus;
  return s;
}

} // namespace

TEST(VmSample, ReadsLibvirtsCountersInBytesAndNanoseconds) {
  const auto t = Clock::now();
  const VmSample s = sample_from_domain_stats(qemu_record(), 1, t);
  EXPECT_EQ(s.taken, t);
  EXPECT_EQ(s.cpu_time_ns, 45763010000U);
  EXPECT_EQ(s.vcpu_time_ns, 21720000000U + 18170000000U);
  EXPECT_EQ(s.vcpus, 2U);
  EXPECT_EQ(s.memory_bytes, 4194304ULL * 1024);
  EXPECT_EQ(s.guest_used_bytes, (4013452ULL - 3774940ULL) * 1024) << "total less what the guest counts available";
  EXPECT_EQ(s.qemu_rss_bytes, 1142240ULL * 1024);
  EXPECT_EQ(s.net_rx_bytes, 0U) << "no interface: nothing moved, which is known";
  EXPECT_EQ(s.net_tx_bytes, 0U);
  EXPECT_EQ(s.block_read_bytes, 1030U);
  EXPECT_EQ(s.block_write_bytes, 2040U);
  EXPECT_FALSE(s.virtiofsd.has_value()) << "libvirt does not report virtiofsd";
}

TEST(VmSample, WhatLibvirtDidNotReportStaysUnknown) {
  // The test driver reports the state alone; a guest whose balloon driver has not loaded yet
  // reports no guest figures.
  const VmSample s = sample_from_domain_stats({{"state.state", 1}, {"balloon.current", 1024}}, 1, Clock::now());
  EXPECT_FALSE(s.cpu_time_ns.has_value());
  EXPECT_FALSE(s.vcpu_time_ns.has_value());
  EXPECT_FALSE(s.guest_used_bytes.has_value());
  EXPECT_FALSE(s.net_rx_bytes.has_value()) << "no net.count: not 0, unknown";
  EXPECT_FALSE(s.block_read_bytes.has_value());
  EXPECT_FALSE(host_memory_bytes(s).has_value());
  EXPECT_EQ(s.memory_bytes, 1024U * 1024);
}

TEST(VmSample, AVcpuWithoutItsTimeMakesTheVcpuTimeUnknownNotSmaller) {
  auto record = qemu_record();
  record.erase("vcpu.1.time");
  EXPECT_FALSE(sample_from_domain_stats(record, 1, Clock::now()).vcpu_time_ns.has_value());
}

TEST(VmSample, GuestFiguresThatContradictEachOtherAreNotShown) {
  auto record = qemu_record();
  record["balloon.usable"] = record["balloon.available"] + 1;
  EXPECT_FALSE(sample_from_domain_stats(record, 1, Clock::now()).guest_used_bytes.has_value());
  record = qemu_record();
  record["balloon.available"] = record["balloon.current"] + 1; // more than it was given
  EXPECT_FALSE(sample_from_domain_stats(record, 1, Clock::now()).guest_used_bytes.has_value());
}

TEST(VmSample, DevicesAreSummedAndOneWithoutItsCounterMakesTheSumUnknown) {
  const VmSample s = sample_from_domain_stats(
      {{"net.count", 2}, {"net.0.rx.bytes", 100}, {"net.0.tx.bytes", 7}, {"net.1.rx.bytes", 5}, {"net.1.tx.bytes", 1}},
      1, Clock::now());
  EXPECT_EQ(s.net_rx_bytes, 105U);
  EXPECT_EQ(s.net_tx_bytes, 8U);
  // libvirt lists a NIC it cannot count (no host device, e.g. passt's) without its counters.
  const VmSample partial = sample_from_domain_stats(
      {{"net.count", 2}, {"net.0.rx.bytes", 100}, {"net.0.tx.bytes", 7}, {"block.count", 1}}, 1, Clock::now());
  EXPECT_FALSE(partial.net_rx_bytes.has_value());
  EXPECT_FALSE(partial.net_tx_bytes.has_value());
  EXPECT_FALSE(partial.block_read_bytes.has_value()) << "a busy domain's disk without its counters";
}

TEST(VmSample, ANicLibvirtDoesNotCountLeavesTheNetworkUnknown) {
  VmSample s = sample_from_domain_stats(qemu_record(), 1, Clock::now());
  forget_uncounted_network(s, false);
  EXPECT_EQ(s.net_rx_bytes, 0U) << "no NIC at all: nothing moved";
  forget_uncounted_network(s, true);
  EXPECT_FALSE(s.net_rx_bytes.has_value()) << "SSH works, so bytes moved that libvirt did not count";
  EXPECT_FALSE(s.net_tx_bytes.has_value());
  VmSample bridged = sample_from_domain_stats({{"net.count", 1}, {"net.0.rx.bytes", 9}}, 1, Clock::now());
  forget_uncounted_network(bridged, true);
  EXPECT_FALSE(bridged.net_rx_bytes.has_value()) << "a bridge's bytes without the forward NIC's would be a part";
}

TEST(VmSample, HostMemoryIsQemuAndItsVirtiofsdProcesses) {
  VmSample s = sample_from_domain_stats(qemu_record(), 1, Clock::now());
  EXPECT_FALSE(host_memory_bytes(s).has_value()) << "no virtiofsd found: the cost is not all known";
  s.virtiofsd = HelperUsage{.rss_bytes = 60 * k_mib, .read_bytes = 0, .write_bytes = 0, .processes = 2};
  EXPECT_EQ(host_memory_bytes(s), 1142240ULL * 1024 + 60 * k_mib);
  s.virtiofsd->rss_bytes.reset();
  EXPECT_FALSE(host_memory_bytes(s).has_value());
}

TEST(CpuUse, SharesOfTheHostAndOfTheVcpusOverTheTimeBetweenReadings) {
  const auto t0 = Clock::now();
  // One second; QEMU used 1.2 s of CPU (0.9 s of it in its two vCPU threads) on a 4-CPU host.
  const CpuUse use = cpu_use_between(
      sample_at(t0, 10 * k_second_ns, 8 * k_second_ns, 2),
      sample_at(t0 + std::chrono::seconds(1), 10 * k_second_ns + 1'200'000'000ULL, 8 * k_second_ns + 900'000'000ULL, 2),
      4);
  ASSERT_TRUE(use.host_percent.has_value());
  ASSERT_TRUE(use.vcpus_percent.has_value());
  EXPECT_NEAR(*use.host_percent, 30.0, 1e-9);
  EXPECT_NEAR(*use.vcpus_percent, 45.0, 1e-9);
}

TEST(CpuUse, ABusyGuestWithEveryVcpuInALoopIsAtAHundredPercentOfItsVcpus) {
  const auto t0 = Clock::now();
  const CpuUse use = cpu_use_between(sample_at(t0, 0, 0, 1),
                                     sample_at(t0 + std::chrono::seconds(2), 2 * k_second_ns, 2 * k_second_ns, 1), 2);
  EXPECT_NEAR(*use.vcpus_percent, 100.0, 1e-9);
  EXPECT_NEAR(*use.host_percent, 50.0, 1e-9) << "one vCPU of a two-CPU host is half of it";
}

TEST(CpuUse, AVmStartedAgainBetweenReadingsHasNoCpuUseYet) {
  const auto t0 = Clock::now();
  VmSample before = sample_at(t0, 50 * k_second_ns, 40 * k_second_ns, 1);
  VmSample after = sample_at(t0 + std::chrono::seconds(60), 51 * k_second_ns, 41 * k_second_ns, 1);
  before.domain_id = 3;
  after.domain_id = 4; // stopped and started: its counters began anew, and reached these by chance
  EXPECT_FALSE(cpu_use_between(before, after, 2).host_percent.has_value());
  EXPECT_FALSE(cpu_use_between(before, after, 2).vcpus_percent.has_value());
  after.domain_id = 3;
  EXPECT_TRUE(cpu_use_between(before, after, 2).host_percent.has_value());
}

TEST(CpuUse, NoAnswerWithoutTwoGoodReadings) {
  const auto t0 = Clock::now();
  const auto t1 = t0 + std::chrono::seconds(1);
  EXPECT_FALSE(cpu_use_between(sample_at(t0, 5, 5, 1), sample_at(t1, 4, 6, 1), 2).host_percent.has_value())
      << "a counter that went backwards is another VM";
  EXPECT_FALSE(cpu_use_between(sample_at(t0, 5, 5, 1), sample_at(t0, 6, 6, 1), 2).host_percent.has_value())
      << "no time passed";
  EXPECT_FALSE(cpu_use_between(sample_at(t0, 5, 5, 1), sample_at(t1, 6, 6, 2), 2).vcpus_percent.has_value())
      << "the vCPU count changed";
  VmSample unknown = sample_at(t1, 6, 6, 1);
  unknown.cpu_time_ns.reset();
  EXPECT_FALSE(cpu_use_between(sample_at(t0, 5, 5, 1), unknown, 2).host_percent.has_value());
  EXPECT_FALSE(cpu_use_between(sample_at(t0, 5, 5, 1), sample_at(t1, 6, 6, 1), 0).host_percent.has_value());
}

TEST(StatsOutput, UptimeIsShortAndReadable) {
  EXPECT_EQ(format_uptime(0), "0s");
  EXPECT_EQ(format_uptime(59), "59s");
  EXPECT_EQ(format_uptime(727), "12m07s");
  EXPECT_EQ(format_uptime(3 * 3600 + 5 * 60 + 9), "3h05m");
  EXPECT_EQ(format_uptime(2 * 86400 + 4 * 3600), "2d04h");
  EXPECT_EQ(format_uptime(-5), "0s") << "a clock set back shows no negative time";
}

TEST(StatsOutput, TableShowsUnknownAsADashAndIoAsReadSlashWritten) {
  VmStats running{"web",      "running", sample_from_domain_stats(qemu_record(), 1, Clock::now()), {}, 9252864,
                  10 * k_gib, 95};
  running.cpu = {12.345, 50.0};
  running.sample->virtiofsd =
      HelperUsage{.rss_bytes = 0, .read_bytes = 2 * k_mib, .write_bytes = k_mib, .processes = 1};
  const VmStats stopped{"old", "stopped", std::nullopt, {}, std::nullopt, std::nullopt, std::nullopt};
  const std::string table = render_stats_table({running, stopped});
  EXPECT_EQ(table.substr(0, table.find('\n')),
            "NAME  CPU %  VCPU %  MEM USAGE / LIMIT  HOST MEM  NET I/O    BLOCK I/O          WRITTEN  UPTIME");
  EXPECT_NE(
      table.find("web   12.3%  50.0%   232.9 MiB / 4 GiB  1.1 GiB   0 B / 0 B  2.0 MiB / 1.0 MiB  8.8 MiB  1m35s"),
      std::string::npos)
      << table;
  EXPECT_NE(table.find("old   -      -       -                  -         -          -                  -        -"),
            std::string::npos)
      << table;
}

TEST(StatsOutput, JsonHasEveryMemberAndNullForUnknown) {
  VmStats running{"web", "running", sample_from_domain_stats(qemu_record(), 1, Clock::now()), {50.0, 25.0}, 4096,
                  k_gib, 10};
  const VmStats stopped{"old", "stopped", std::nullopt, {}, std::nullopt, std::nullopt, std::nullopt};
  const auto j = stats_json({running, stopped});
  ASSERT_EQ(j.size(), 2U);
  EXPECT_EQ(j[0]["name"], "web");
  EXPECT_EQ(j[0]["status"], "running");
  EXPECT_EQ(j[0]["cpu"]["host_percent"], 50.0);
  EXPECT_EQ(j[0]["cpu"]["vcpus_percent"], 25.0);
  EXPECT_EQ(j[0]["cpu"]["time_ns"], 45763010000U);
  EXPECT_EQ(j[0]["cpu"]["vcpus"], 2);
  EXPECT_EQ(j[0]["memory"]["limit_bytes"], 4194304ULL * 1024);
  EXPECT_TRUE(j[0]["memory"]["host_bytes"].is_null()) << "no virtiofsd in this reading";
  EXPECT_TRUE(j[0]["memory"]["virtiofsd_rss_bytes"].is_null());
  EXPECT_EQ(j[0]["block"]["read_bytes"], 1030);
  EXPECT_TRUE(j[0]["shares"]["read_bytes"].is_null());
  EXPECT_EQ(j[0]["size"]["written_bytes"], 4096);
  EXPECT_EQ(j[0]["size"]["limit_bytes"], k_gib);
  EXPECT_EQ(j[0]["uptime_seconds"], 10);
  for (const char* group : {"cpu", "memory", "network", "block", "shares", "size"}) {
    EXPECT_EQ(j[0][group].size(), j[1][group].size()) << group << ": every member, known or not";
  }
  EXPECT_TRUE(j[1]["cpu"]["time_ns"].is_null());
  EXPECT_TRUE(j[1]["memory"]["guest_used_bytes"].is_null());
  EXPECT_TRUE(j[1]["uptime_seconds"].is_null());
}

TEST(ProcFiles, StatusNumbersAndSizesInBytes) {
  const std::string status = "Name:\tvirtiofsd\nPPid:\t10672\nVmRSS:\t   60148 kB\nThreads:\t3\nBad:\t12x kB\n";
  EXPECT_EQ(status_number(status, "PPid"), 10672U);
  EXPECT_EQ(status_number(status, "VmRSS"), 60148U * 1024);
  EXPECT_EQ(status_number(status, "Threads"), 3U);
  EXPECT_FALSE(status_number(status, "Bad").has_value());
  EXPECT_FALSE(status_number(status, "Vm").has_value()) << "a prefix of a key is not the key";
  EXPECT_FALSE(status_number(status, "VmSwap").has_value());
  EXPECT_FALSE(status_number("VmRSS:\t99999999999999999999 kB\n", "VmRSS").has_value());
}

TEST(ProcFiles, OnlyAProcessRootRunsInEveryIdCounts) {
  EXPECT_TRUE(status_ids_are_root("Name:\tvirtiofsd\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"));
  EXPECT_FALSE(status_ids_are_root("Uid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n")) << "a user's set-uid helper";
  EXPECT_FALSE(status_ids_are_root("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t100\n"));
  EXPECT_FALSE(status_ids_are_root("Uid:\t0\t0\t0\nGid:\t0\t0\t0\t0\n")) << "not the four ids";
  EXPECT_FALSE(status_ids_are_root("Gid:\t0\t0\t0\t0\n"));
  EXPECT_FALSE(status_ids_are_root(""));
}

TEST(ProcFiles, IoCountersAreTheSystemCallBytes) {
  const auto io = parse_proc_io("rchar: 62896488\nwchar: 11706537\nsyscr: 1\nread_bytes: 0\n");
  ASSERT_TRUE(io.has_value());
  EXPECT_EQ(io->read_bytes, 62896488U);
  EXPECT_EQ(io->write_bytes, 11706537U);
  EXPECT_FALSE(parse_proc_io("rchar: 1\n").has_value());
  EXPECT_FALSE(parse_proc_io("rchar: -1\nwchar: 2\n").has_value());
}

TEST(ProcFiles, ChildPidsAreWholePositiveNumbers) {
  EXPECT_EQ(parse_pid_list("10680 10681 \n"), (std::vector<int>{10680, 10681}));
  EXPECT_EQ(parse_pid_list(""), std::vector<int>{});
  EXPECT_EQ(parse_pid_list("0 -4 12x 7"), std::vector<int>{7});
}

TEST(ProcFiles, LibvirtsPidFilesForAVmsVirtiofsd) {
  EXPECT_EQ(libvirt_short_name(1, "probe"), "1-probe");
  EXPECT_EQ(libvirt_short_name(12, "a-name-longer-than-twenty"), "12-a-name-longer-than-t");
  EXPECT_TRUE(is_virtiofsd_pid_file("1-probe-fs0-fs.pid", "1-probe"));
  EXPECT_TRUE(is_virtiofsd_pid_file("1-probe-fs12-fs.pid", "1-probe"));
  EXPECT_FALSE(is_virtiofsd_pid_file("11-probe-fs0-fs.pid", "1-probe")) << "another domain's number";
  EXPECT_FALSE(is_virtiofsd_pid_file("1-probe-x-fs0-fs.pid", "1-probe")) << "another VM whose name goes on";
  EXPECT_FALSE(is_virtiofsd_pid_file("1-probe-fs-fs.pid", "1-probe"));
  EXPECT_FALSE(is_virtiofsd_pid_file("1-probe.pid", "1-probe"));
  EXPECT_FALSE(is_virtiofsd_pid_file("1-probe-fs0-fs.pid.tmp", "1-probe"));
}

TEST(DomainXmlNics, ANicOnQemusCommandLineIsOneLibvirtDoesNotCount) {
  std::map<std::string, bool> expected{
      {"minimal", true},           {"network-none", false}, {"user-network-passt", false},
      {"user-network-qemu", true}, {"bridge", true},        {"libvirt-network-with-ssh", true}};
  for (const auto& named : golden::golden_specs()) {
    if (const auto it = expected.find(named.name); it != expected.end()) {
      EXPECT_EQ(has_nic_outside_libvirt(render_domain_xml(named.spec)), it->second) << named.name;
      expected.erase(it);
    }
  }
  EXPECT_TRUE(expected.empty()) << "a golden spec this test relies on is gone";
  EXPECT_FALSE(has_nic_outside_libvirt(
      "<domain xmlns:q='urn:other'><q:commandline><q:arg value='-netdev'/></q:commandline></domain>"))
      << "only QEMU's namespace counts";
}

TEST(TerminalFrame, RedrawsOverTheLastFrameWithoutClearingTheScreen) {
  const TerminalSize size{.columns = 20, .rows = 10};
  EXPECT_EQ(frame_update(0, "A\nB\n", size), "A\033[K\nB\033[K\n\033[J");
  EXPECT_EQ(frame_update(2, "C\n", size), "\033[2FC\033[K\n\033[J") << "back up two lines; the rest erased";
  EXPECT_EQ(frame_update(0, std::string(30, 'x') + "\n", size), std::string(19, 'x') + "\033[K\n\033[J")
      << "a line never wraps";
}

TEST(TerminalFrame, AFrameTallerThanTheTerminalIsCutSoItsTopNeverScrollsAway) {
  const TerminalSize size{.columns = 80, .rows = 3};
  const std::string frame = "1\n2\n3\n4\n";
  EXPECT_EQ(frame_lines(frame, size), 2U);
  EXPECT_EQ(frame_update(0, frame, size), "1\033[K\n2\033[K\n\033[J");
}

TEST(Clock, Rfc3339TimestampsAsBcvkWritesThem) {
  EXPECT_EQ(rfc3339_seconds("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(rfc3339_seconds("2026-12-07T05:09:41Z"), 1796620181);
  const auto now = rfc3339_seconds(now_rfc3339());
  ASSERT_TRUE(now.has_value());
  EXPECT_LE(std::abs(*now - now_seconds()), 2);
  for (const char* bad : {"", "2026-12-07 05:09:41Z", "2026-12-07T05:09:41", "2026-13-07T05:09:41Z",
                          "2026-12-07T25:09:41Z", "2026-12-07T05:09:41+01:00", "２026-12-07T05:09:41Z"}) {
    EXPECT_FALSE(rfc3339_seconds(bad).has_value()) << bad;
  }
}

TEST(StatsOptions, IntervalNamesAndFormatAreCheckedUpFront) {
  StatsOptions o;
  o.names = {"web", "db"};
  o.format = "json";
  const StatsRequest r = validate_stats_options(o);
  ASSERT_EQ(r.names.size(), 2U);
  EXPECT_EQ(r.names[1].str(), "db");
  EXPECT_EQ(r.format, OutputFormat::json);
  EXPECT_EQ(r.interval_seconds, 2U);
  o.names = {"web", "db", "web"};
  EXPECT_EQ(validate_stats_options(o).names.size(), 2U) << "one row per VM";
  o.interval_seconds = 0;
  EXPECT_THROW(validate_stats_options(o), UsageError);
  o.interval_seconds = k_max_stats_interval + 1;
  EXPECT_THROW(validate_stats_options(o), UsageError);
  o.interval_seconds = 1;
  o.all = true;
  EXPECT_THROW(validate_stats_options(o), UsageError) << "names and --all together";
  o.names = {"../x"};
  o.all = false;
  EXPECT_THROW(validate_stats_options(o), UsageError);
  o.names = {};
  o.format = "yaml";
  EXPECT_THROW(validate_stats_options(o), UsageError);
}
