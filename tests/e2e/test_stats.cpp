// What a VM costs, as `stats`, `ps --size` and `inspect` show it, cross-checked against what the
// guest itself did: a busy loop, 100 MiB written, its own memory figures; then the streamed table
// on a terminal while the VM stops.
#include "e2e_support.hpp"

#include <future>
#include <iostream>
#include <regex>

#include <nlohmann/json.hpp>

#include "../common/terminal_session.hpp"
#include "bcvk/util/size.hpp"

using namespace bcvk::e2e;
using bcvk::k_gib;
using bcvk::k_mib;
using bcvk::test_support::TerminalSession;
using namespace std::chrono_literals;

namespace {

constexpr int k_boot_budget_s = 1200;

class Stats : public ::testing::Test {
protected:
  void SetUp() override { use_test_environment(); }
};

// One reading of `name`, measured over `interval` seconds.
nlohmann::json stats_of(const std::string& name, int interval = 2) {
  const auto r =
      bcvk_cli({"ephemeral", "stats", "--no-stream", "--format", "json", "-i", std::to_string(interval), name});
  EXPECT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.size(), 1U) << r.out;
  return j.empty() ? nlohmann::json::object() : j[0];
}

std::string guest(const std::string& name, const std::string& command) {
  const auto r = bcvk_within(300, {"ephemeral", "ssh", name, "--", command}); // one remote shell line
  EXPECT_EQ(r.status, 0) << command << ": " << r.err;
  return r.out;
}

// A number the reading must have; a test failure (not an exception) when it is null.
std::uint64_t number(const nlohmann::json& j) {
  EXPECT_TRUE(j.is_number_unsigned()) << j.dump();
  return j.is_number_unsigned() ? j.get<std::uint64_t>() : 0;
}

double percent(const nlohmann::json& j) {
  EXPECT_TRUE(j.is_number()) << j.dump();
  return j.is_number() ? j.get<double>() : -1.0;
}

// MemTotal - MemAvailable from the guest's /proc/meminfo, in bytes.
std::uint64_t guest_used_memory(const std::string& name) {
  const std::string kib =
      guest(name, "awk '/^MemTotal:/ {t=$2} /^MemAvailable:/ {a=$2} END {print t-a}' /proc/meminfo");
  return std::stoull(kib) * 1024;
}

// The last table of a streamed screen: what follows its last header.
std::string last_frame(const std::string& screen) {
  const auto at = screen.rfind("NAME ");
  return at == std::string::npos ? std::string() : screen.substr(at);
}

} // namespace

TEST_F(Stats, CpuMemoryAndWritesMatchWhatTheGuestDidAndTheStreamFollowsTheVm) {
  const std::string vm = "e2e-stats";
  const auto removed = removed_at_exit({vm});
  const auto started = bcvk_within(
      k_boot_budget_s, {"ephemeral", "run", "-d", "-K", "--name", vm, "--vcpus", "1", "--memory", "1G", k_image});
  ASSERT_EQ(started.status, 0) << started.err;

  // At rest. The guest's own memory figures arrive once its balloon driver has loaded.
  nlohmann::json idle;
  ASSERT_TRUE(eventually(
      [&] {
        idle = stats_of(vm);
        return !idle["memory"]["guest_used_bytes"].is_null();
      },
      60s))
      << idle.dump(2);
  EXPECT_EQ(idle["status"], "running");
  EXPECT_GT(number(idle["cpu"]["time_ns"]), 0U);
  EXPECT_EQ(idle["cpu"]["vcpus"], 1);
  EXPECT_EQ(number(idle["memory"]["limit_bytes"]), k_gib);
  const std::uint64_t qemu = number(idle["memory"]["qemu_rss_bytes"]);
  const std::uint64_t virtiofsd = number(idle["memory"]["virtiofsd_rss_bytes"]);
  EXPECT_GT(qemu, 64 * k_mib);
  EXPECT_GT(virtiofsd, 0U) << "the root's virtiofsd is found and counted";
  EXPECT_LT(virtiofsd, 64 * k_mib) << "its own memory: the guest RAM it maps is QEMU's, counted once";
  EXPECT_EQ(number(idle["memory"]["host_bytes"]), qemu + virtiofsd);
  EXPECT_TRUE(idle["network"]["rx_bytes"].is_null()) << "the SSH forward's NIC is not libvirt's to count";
  EXPECT_EQ(number(idle["block"]["read_bytes"]), 0U) << "no disk was attached: known, and nothing";
  EXPECT_GT(number(idle["shares"]["read_bytes"]), 10 * k_mib) << "the guest booted from its virtiofs root";
  EXPECT_EQ(number(idle["size"]["limit_bytes"]), 10 * k_gib);
  EXPECT_GT(idle["uptime_seconds"].get<std::int64_t>(), 0);
  // The guest's kernel and the balloon's report agree (both move a little between the readings).
  const std::uint64_t reported = number(idle["memory"]["guest_used_bytes"]);
  const std::uint64_t measured = guest_used_memory(vm);
  EXPECT_LT(reported > measured ? reported - measured : measured - reported, 64 * k_mib)
      << "stats " << reported << ", the guest " << measured;

  // A loop that keeps the guest's one vCPU busy: near all of its vCPUs, and near one host CPU's
  // share of the host.
  const std::string loop = guest(vm, "nohup sh -c 'while :; do :; done' >/dev/null 2>&1 & echo $!");
  const auto busy = stats_of(vm, 3);
  guest(vm, "kill " + loop);
  const double vcpus = percent(busy["cpu"]["vcpus_percent"]);
  const double host = percent(busy["cpu"]["host_percent"]);
  const auto host_cpus = static_cast<double>(std::thread::hardware_concurrency());
  EXPECT_GE(vcpus, 70.0) << busy.dump(2);
  EXPECT_LE(vcpus, 110.0);
  EXPECT_GE(host, 70.0 / host_cpus) << "one busy vCPU is about one of the host's " << host_cpus << " CPUs";
  EXPECT_LE(host, 100.0);

  // 100 MiB written and flushed by the guest grow its writable layer by about that.
  const std::uint64_t before = number(stats_of(vm)["size"]["written_bytes"]);
  guest(vm, "dd if=/dev/urandom of=/var/tmp/blob bs=1M count=100 conv=fsync status=none");
  const auto wrote = stats_of(vm);
  const std::uint64_t after = number(wrote["size"]["written_bytes"]);
  EXPECT_GE(after, before + 95 * k_mib) << before << " -> " << after;
  EXPECT_LE(after, before + 140 * k_mib) << before << " -> " << after;
  EXPECT_GE(number(wrote["shares"]["write_bytes"]), 100 * k_mib) << "virtiofsd wrote it for the guest";
  // What was measured, for the record of a run (gtest prints it when run by hand).
  std::cout << "[stats] idle vCPUs " << idle["cpu"]["vcpus_percent"] << " %, busy vCPUs " << vcpus << " %, host "
            << host << " % of " << host_cpus << " CPUs; guest memory " << reported / k_mib << " MiB (guest says "
            << measured / k_mib << "), QEMU " << qemu / k_mib << " MiB + virtiofsd " << virtiofsd / k_mib
            << " MiB; written " << before / k_mib << " -> " << after / k_mib << " MiB\n";
  const auto inspected = nlohmann::json::parse(bcvk_cli({"ephemeral", "inspect", vm}).out);
  EXPECT_NEAR(static_cast<double>(number(inspected["size"]["written_bytes"])), static_cast<double>(after),
              static_cast<double>(16 * k_mib));
  EXPECT_EQ(number(inspected["size"]["limit_bytes"]), 10 * k_gib);
  EXPECT_FALSE(inspected["started"].get<std::string>().empty());
  const auto listed = bcvk_cli({"ephemeral", "ps", "--size"});
  EXPECT_TRUE(contains(listed.out, "SIZE")) << listed.out;
  EXPECT_TRUE(contains(listed.out, "MiB (limit 10 GiB)")) << listed.out;
  EXPECT_FALSE(contains(bcvk_cli({"ephemeral", "ps"}).out, "SIZE")) << "only asked for";

  // Streamed on a terminal: redrawn in place, the VM leaves the table once it stops, Ctrl-C ends
  // it with 130 and gives the cursor back.
  TerminalSession terminal({"ephemeral", "stats", "-i", "1"});
  ASSERT_TRUE(terminal.wait_for(vm, 30s)) << terminal.screen();
  ASSERT_TRUE(eventually(
      [&terminal] {
        terminal.read_for(200ms);
        return std::regex_search(terminal.screen(), std::regex("\033\\[[0-9]+F"));
      },
      30s))
      << "the second frame is drawn over the first";
  auto stopping = std::async(std::launch::async, [&vm] { return bcvk_cli({"ephemeral", "stop", vm}); });
  while (stopping.wait_for(200ms) != std::future_status::ready) {
    terminal.read_for(200ms);
  }
  EXPECT_EQ(stopping.get().status, 0);
  terminal.read_for(3s);
  EXPECT_FALSE(contains(last_frame(terminal.screen()), vm)) << last_frame(terminal.screen());
  terminal.type("\x03");
  EXPECT_EQ(terminal.wait_exit(30s), 130);
  const std::string& screen = terminal.screen();
  EXPECT_EQ(screen.rfind("\033[?25l", 0), 0U) << "the cursor is hidden while frames are drawn";
  EXPECT_TRUE(contains(screen, "\033[?25h")) << "and shown again at the end";

  // Stopped and kept: shown with -a, with what it wrote.
  const auto kept =
      nlohmann::json::parse(bcvk_cli({"ephemeral", "stats", "-a", "--no-stream", "--format", "json", "-i", "1"}).out);
  const auto row = std::find_if(kept.begin(), kept.end(), [&vm](const auto& r) { return r["name"] == vm; });
  ASSERT_NE(row, kept.end());
  EXPECT_EQ((*row)["status"], "stopped");
  EXPECT_TRUE((*row)["cpu"]["time_ns"].is_null());
  EXPECT_GE(number((*row)["size"]["written_bytes"]), 100 * k_mib);

  EXPECT_EQ(bcvk_cli({"ephemeral", "rm", vm}).status, 0);
  expect_nothing_left(vm);
}
