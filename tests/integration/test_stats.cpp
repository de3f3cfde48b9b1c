// `stats` on libvirt's test driver (which reports a domain's state and nothing else) and against
// real processes standing in for a VM's virtiofsd.
#include <gtest/gtest.h>
#include <libvirt/virterror.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>

#include "../common/child_holding.hpp"
#include "../common/golden_specs.hpp"
#include "../common/no_images.hpp"
#include "../common/private_state_dir.hpp"
#include "bcvk/host/virtiofsd_usage.hpp"
#include "bcvk/instance/start.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/clock.hpp"
#include "bcvk/verbs/verbs.hpp"
#include "bcvk/vm/domain_xml.hpp"

using namespace bcvk;
namespace fs = std::filesystem;

namespace {

void quiet_errors(void*, virErrorPtr) {}

class StatsOnTestDriver : public ::testing::Test {
protected:
  void SetUp() override { virSetErrorFunc(nullptr, quiet_errors); }
  // An instance whose domain runs on the test driver, as a foreground run leaves it.
  StartedInstance start(const std::string& name) {
    VmSpec spec = golden::minimal_spec(name);
    spec.uuid = "0d6f3a8e-1b2c-4d5e-8f90-a1b2c3d4e5f6";
    InstanceState state;
    state.name = name;
    state.uri = m_conn.uri();
    state.domain_uuid = spec.uuid;
    state.root_size_bytes = 64 * 1024 * 1024;
    auto owner = std::make_unique<InstanceOwner>(InstanceDir::create(VmName::parse(name)), state, m_images);
    owner->save();
    return start_instance_domain(m_conn, std::move(owner), render_domain_xml(spec), {});
  }
  nlohmann::json stats(StatsRequest request) {
    request.format = OutputFormat::json;
    request.no_stream = true;
    request.interval_seconds = 1;
    Context ctx;
    ctx.connect_uri = "test:///default";
    ::testing::internal::CaptureStdout();
    const int status = show_stats(request, ctx);
    const std::string out = ::testing::internal::GetCapturedStdout();
    EXPECT_EQ(status, 0);
    return nlohmann::json::parse(out);
  }

  test_support::PrivateStateDir m_state{"bcvk-stats-"};
  test_support::NoImages m_images;
  Connection m_conn = Connection::open("test:///default");
};

// Waits until the shell `pid` has forked its child.
bool eventually_children(int pid) {
  for (int i = 0; i < 250; ++i) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
    int child = 0;
    if (in >> child) {
      return true;
    }
    ::usleep(20'000);
  }
  return false;
}

// Waits until process `pid` runs a program named virtiofsd.
bool eventually_named_virtiofsd(int pid) {
  for (int i = 0; i < 250; ++i) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
    std::string comm;
    if (std::getline(in, comm) && comm == "virtiofsd") {
      return true;
    }
    ::usleep(20'000);
  }
  return false;
}

} // namespace

TEST_F(StatsOnTestDriver, EveryRunningDomainInOneCallWithItsUuidAndNumber) {
  VmSpec spec = golden::minimal_spec("counted");
  spec.uuid = "1d6f3a8e-1b2c-4d5e-8f90-a1b2c3d4e5f6";
  const Domain vm = m_conn.create(render_domain_xml(spec), {});
  const auto all = m_conn.running_domain_stats();
  const auto it = std::find_if(all.begin(), all.end(), [](const DomainStats& s) { return s.name == "counted"; });
  ASSERT_NE(it, all.end());
  EXPECT_EQ(it->uuid, spec.uuid);
  EXPECT_GT(it->id, 0);
  EXPECT_EQ(it->numbers.at("state.state"), 1U) << "running";
  EXPECT_GT(m_conn.host_cpus(), 0U);
  vm.destroy();
  const auto after = m_conn.running_domain_stats();
  EXPECT_TRUE(std::none_of(after.begin(), after.end(), [](const DomainStats& s) { return s.name == "counted"; }));
}

TEST_F(StatsOnTestDriver, ARunningInstanceIsShownWithWhatTheDriverKnowsAndNullForTheRest) {
  StartedInstance vm = start("stats-vm");
  const auto started = rfc3339_seconds(vm.owner().dir().load().started);
  ASSERT_TRUE(started.has_value()) << "the start time is recorded";
  EXPECT_LE(std::abs(*started - now_seconds()), 5);

  const auto j = stats({});
  const auto row = std::find_if(j.begin(), j.end(), [](const auto& r) { return r["name"] == "stats-vm"; });
  ASSERT_NE(row, j.end()) << j.dump(2);
  EXPECT_EQ((*row)["status"], "running");
  EXPECT_GE((*row)["uptime_seconds"].get<std::int64_t>(), 0);
  EXPECT_TRUE((*row)["cpu"]["time_ns"].is_null()) << "the test driver reports no CPU time";
  EXPECT_TRUE((*row)["cpu"]["host_percent"].is_null());
  EXPECT_TRUE((*row)["memory"]["virtiofsd_rss_bytes"].is_null()) << "no virtiofsd is looked for off the QEMU driver";
  EXPECT_EQ((*row)["size"]["limit_bytes"], 64 * 1024 * 1024);
  EXPECT_EQ((*row)["size"]["written_bytes"], 0) << "no root.img yet: nothing written";

  const auto named = stats({.names = {VmName::parse("stats-vm")}});
  ASSERT_EQ(named.size(), 1U);

  vm.release(Disposition::keep);
  EXPECT_TRUE(stats({}).empty()) << "a stopped VM is not among the running ones";
  const auto all = stats({.all = true});
  ASSERT_EQ(all.size(), 1U);
  EXPECT_EQ(all[0]["status"], "stopped");
  EXPECT_TRUE(all[0]["uptime_seconds"].is_null());
  EXPECT_EQ(stats({.names = {VmName::parse("stats-vm")}})[0]["status"], "stopped") << "a named VM stays shown";
}

TEST_F(StatsOnTestDriver, ANameWithoutAVmIsAnErrorNamingTheFix) {
  Context ctx;
  ctx.connect_uri = "test:///default";
  try {
    show_stats({.names = {VmName::parse("nosuch")}, .no_stream = true}, ctx);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no ephemeral VM named 'nosuch'"), std::string::npos) << e.what();
  }
}

namespace {

// The children of `pid` (its main thread's), as the kernel lists them.
std::vector<int> children_of(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::vector<int> pids;
  for (int child = 0; in >> child;) {
    pids.push_back(child);
  }
  return pids;
}

std::pair<std::uint64_t, std::uint64_t> io_of(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/io");
  std::uint64_t read = 0;
  std::uint64_t written = 0;
  for (std::string key, value; in >> key >> value;) {
    read = key == "rchar:" ? std::stoull(value) : read;
    written = key == "wchar:" ? std::stoull(value) : written;
  }
  return {read, written};
}

} // namespace

// Stand-ins for libvirt's pid files and the virtiofsd processes they name: a "virtiofsd" (a shell
// under that name) that forked a child "virtiofsd" (sleep under that name), another domain's
// "virtiofsd", and a pid file naming a process that is no virtiofsd. The test runs as root, as
// libvirt's virtiofsd does.
TEST(VirtiofsdUsage, ThePidFilesProcessesAndTheirChildrenAreSummed) {
  const fs::path dir = fs::temp_directory_path() / ("bcvk-virtiofsd-" + std::to_string(::getpid()));
  fs::create_directories(dir / "bin");
  fs::copy_file("/bin/sh", dir / "bin" / "virtiofsd");
  fs::create_directories(dir / "child");
  fs::copy_file("/bin/sleep", dir / "child" / "virtiofsd");
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  // The shell forks the sleep (a command followed by another is not exec'd in its place).
  test_support::ChildHolding parent(
      "", {(dir / "bin" / "virtiofsd").string(), "-c", (dir / "child" / "virtiofsd").string() + " 60; :"});
  test_support::ChildHolding neighbour("", {(dir / "child" / "virtiofsd").string(), "60"});
  test_support::ChildHolding other("", {"/bin/sleep", "60"});
  // A process any user can start and name virtiofsd: nobody's.
  const pid_t nobodys = ::fork();
  if (nobodys == 0) {
    if (::setgroups(0, nullptr) == 0 && ::setgid(65534) == 0 && ::setuid(65534) == 0) {
      const std::string program = (dir / "child" / "virtiofsd").string();
      ::execl(program.c_str(), program.c_str(), "60", static_cast<char*>(nullptr));
    }
    ::_exit(127);
  }
  const auto cleanup = [&] {
    for (const int child : children_of(parent.pid())) {
      ::kill(child, SIGKILL); // the forked child outlives a killed shell
    }
    parent.end();
    neighbour.end();
    other.end();
    if (nobodys > 0) {
      ::kill(nobodys, SIGKILL);
      ::waitpid(nobodys, nullptr, 0);
    }
    fs::remove_all(dir);
  };
  struct AtExit {
    std::function<void()> fn;
    ~AtExit() { fn(); }
  } at_exit{cleanup};
  ASSERT_GT(parent.pid(), 0);
  const auto write = [&dir](const std::string& file, const std::string& text) { std::ofstream(dir / file) << text; };
  write("7-box-fs0-fs.pid", std::to_string(parent.pid()) + "\n");
  write("7-box-fs1-fs.pid", std::to_string(other.pid()) + "\n");     // not a virtiofsd: not counted
  write("8-box-fs0-fs.pid", std::to_string(neighbour.pid()) + "\n"); // another domain's
  write("7-box-fs2-fs.pid", "garbage");
  write("7-box-fs4-fs.pid", std::to_string(nobodys) + "\n");        // named virtiofsd, but not root's
  ASSERT_EQ(::mkfifo((dir / "7-box-fs3-fs.pid").c_str(), 0600), 0); // never waited on

  ASSERT_TRUE(eventually_children(parent.pid()));
  ASSERT_TRUE(eventually_named_virtiofsd(nobodys));
  const auto usage = virtiofsd_usage(7, "box", dir.string());
  ASSERT_TRUE(usage.has_value());
  EXPECT_EQ(usage->processes, 2U) << "the process and its forked child, not the other domain's";
  ASSERT_TRUE(usage->rss_bytes.has_value());
  EXPECT_GT(*usage->rss_bytes, 0U);
  // Both are asleep: their counters stand still, and the sum is theirs exactly.
  const int child = children_of(parent.pid()).at(0);
  ASSERT_TRUE(usage->read_bytes.has_value());
  EXPECT_EQ(*usage->read_bytes, io_of(parent.pid()).first + io_of(child).first);
  EXPECT_EQ(*usage->write_bytes, io_of(parent.pid()).second + io_of(child).second);

  const auto neighbours = virtiofsd_usage(8, "box", dir.string());
  ASSERT_TRUE(neighbours.has_value());
  EXPECT_EQ(neighbours->processes, 1U);
  EXPECT_FALSE(virtiofsd_usage(9, "box", dir.string()).has_value()) << "no pid file of that domain";
  EXPECT_FALSE(virtiofsd_usage(7, "box", (dir / "missing").string()).has_value());
  ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
  EXPECT_FALSE(virtiofsd_usage(7, "box", dir.string()).has_value()) << "a directory of another user's is not libvirt's";
  ASSERT_EQ(::chown(dir.c_str(), 0, 0), 0);
  fs::permissions(dir, fs::perms::others_write, fs::perm_options::add);
  EXPECT_FALSE(virtiofsd_usage(7, "box", dir.string()).has_value())
      << "a directory others may write to is not libvirt's";
}
