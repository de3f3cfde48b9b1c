// `stats` on libvirt's test driver (which reports a domain's state and nothing else) and against
// real processes standing in for a VM's virtiofsd.
#include <gtest/gtest.h>
#include <libvirt/virterror.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "../common/child_holding.hpp"
#include "../common/golden_specs.hpp"
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

class NoImages : public ImageStore {
public:
  bool exists(const std::string&) override { return true; }
  std::string pull(const std::string&, const RegistryAccess&, SignalCatcher*) override { return {}; }
  ImageInfo inspect(const std::string&) override { return {}; }
  std::string mount(const std::string&) override { return "/nonexistent"; }
  void unmount(const std::string&) override {}
  std::vector<ImageInfo> list_bootc_images() override { return {}; }
  std::string storage_root() override { return "/var/lib/containers/storage"; }
  std::set<std::string> image_layer_ids() override { return {}; }
};

class StatsOnTestDriver : public ::testing::Test {
protected:
  void SetUp() override {
    virSetErrorFunc(nullptr, quiet_errors);
    m_state = fs::temp_directory_path() / ("bcvk-stats-" + std::to_string(::getpid()));
    fs::create_directory(m_state);
    fs::permissions(m_state, fs::perms::owner_all);
    ::setenv("BCVK_STATE_DIR", m_state.c_str(), 1);
  }
  void TearDown() override {
    fs::remove_all(m_state);
    ::unsetenv("BCVK_STATE_DIR");
  }
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

  fs::path m_state;
  NoImages m_images;
  Connection m_conn = Connection::open("test:///default");
};

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

// Stand-ins for libvirt's pid files and the virtiofsd processes they name: a "virtiofsd" (a shell
// under that name) that forked a child "virtiofsd" (sleep under that name), and a pid file naming
// a process that is no virtiofsd.
TEST(VirtiofsdUsage, ThePidFilesProcessesAndTheirChildrenAreSummed) {
  const fs::path dir = fs::temp_directory_path() / ("bcvk-virtiofsd-" + std::to_string(::getpid()));
  fs::create_directories(dir / "bin");
  fs::copy_file("/bin/sh", dir / "bin" / "virtiofsd");
  fs::create_directories(dir / "child");
  fs::copy_file("/bin/sleep", dir / "child" / "virtiofsd");
  // The shell forks the sleep (a command followed by another is not exec'd in its place).
  test_support::ChildHolding parent(
      "", {(dir / "bin" / "virtiofsd").string(), "-c", (dir / "child" / "virtiofsd").string() + " 60; :"});
  test_support::ChildHolding other("", {"/bin/sleep", "60"});
  ASSERT_GT(parent.pid(), 0);
  const auto write = [&dir](const std::string& file, const std::string& text) { std::ofstream(dir / file) << text; };
  write("7-box-fs0-fs.pid", std::to_string(parent.pid()) + "\n");
  write("7-box-fs1-fs.pid", std::to_string(other.pid()) + "\n");  // not a virtiofsd: not counted
  write("8-box-fs0-fs.pid", std::to_string(parent.pid()) + "\n"); // another domain's
  write("7-box-fs2-fs.pid", "garbage");

  std::optional<HelperUsage> usage;
  for (int i = 0; i < 200; ++i) { // until the shell has forked its child
    usage = virtiofsd_usage(7, "box", dir.string());
    if (usage && usage->processes == 2) {
      break;
    }
    ::usleep(20'000);
  }
  ASSERT_TRUE(usage.has_value());
  EXPECT_EQ(usage->processes, 2U) << "the process and its forked child";
  EXPECT_GT(usage->rss_bytes, 0U);
  EXPECT_FALSE(virtiofsd_usage(9, "box", dir.string()).has_value()) << "no pid file of that domain";
  EXPECT_FALSE(virtiofsd_usage(7, "box", (dir / "missing").string()).has_value());
  // The forked child outlives a killed shell: end it first.
  std::ifstream children("/proc/" + std::to_string(parent.pid()) + "/task/" + std::to_string(parent.pid()) +
                         "/children");
  for (int child = 0; children >> child;) {
    ::kill(child, SIGKILL);
  }
  parent.end();
  other.end();
  fs::remove_all(dir);
}
