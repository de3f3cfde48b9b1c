// How the command line becomes a domain, pinned end to end (in the spirit of libvirt's
// qemuxmlconftest): each row is what follows `bcvk ephemeral run`; it is parsed and validated
// exactly as the command does, planned with fixed facts (plan.hpp) and rendered. The XML must
// match tests/golden/argv/ROW.xml, validate against libvirt's schema and start on the test driver.
// Rows that must fail run the real binary: argv -> the one error line, in argv/errors.golden.
//
// Regenerate with BCVK_REGENERATE_GOLDEN=1, then review the diff by hand.
#include <gtest/gtest.h>
#include <libvirt/virterror.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "../common/fixed_facts.hpp"
#include "bcvk/cli/cli.hpp"
#include "bcvk/host/hypervisor.hpp"
#include "bcvk/host/process.hpp"
#include "bcvk/util/xml.hpp"
#include "bcvk/vm/domain_xml.hpp"
#include "bcvk/vm/guest_files.hpp"
#include "bcvk/vm/plan.hpp"

using namespace bcvk;
namespace fs = std::filesystem;

namespace {

constexpr const char* k_schema = "/usr/share/libvirt/schemas/domain.rng";
constexpr unsigned k_host_cpus = 8;

struct Row {
  std::string name;
  std::vector<std::string> args;
};

std::string golden_dir() {
  return std::string(BCVK_GOLDEN_DIR) + "/argv";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool regenerate() {
  return std::getenv("BCVK_REGENERATE_GOLDEN") != nullptr;
}

std::string command_line(const std::vector<std::string>& args) {
  std::string line = "bcvk ephemeral run";
  for (const auto& a : args) {
    const bool plain = !a.empty() && a.find_first_of(" \t\n'\"$<>&;|*?") == std::string::npos;
    line += " " + (plain ? a : shell_quote(a));
  }
  return line;
}

const std::vector<Row>& xml_rows() {
  static const std::vector<Row> rows{
      {"minimal", {"localhost/bcvk-test"}},
      {"named", {"--name", "dev-box", "localhost/bcvk-test"}},
      {"rm", {"--rm", "localhost/bcvk-test"}},
      {"detached", {"-d", "--name", "bg", "localhost/bcvk-test"}},
      {"memory-and-vcpus", {"--memory", "2G", "--vcpus", "3", "localhost/bcvk-test"}},
      {"memory-in-mib", {"--memory", "1536", "localhost/bcvk-test"}},
      {"itype", {"--itype", "u1.small", "localhost/bcvk-test"}},
      {"itype-overrides-memory", {"--memory", "8G", "--itype", "u1.nano", "localhost/bcvk-test"}},
      {"default-vcpus-follow-host", {"--memory", "1G", "localhost/bcvk-test"}},
      {"ssh-keygen", {"-K", "localhost/bcvk-test"}},
      {"network-none", {"--network", "none", "localhost/bcvk-test"}},
      {"network-user", {"--network", "user", "localhost/bcvk-test"}},
      {"graphics-vnc", {"--graphics", "vnc", "localhost/bcvk-test"}},
      {"initramfs-image", {"--initramfs", "image", "localhost/bcvk-test"}},
      {"graphics-spice", {"--graphics", "spice", "--karg", "quiet", "localhost/bcvk-test"}},
      {"network-libvirt", {"--network", "lab-net", "localhost/bcvk-test"}},
      {"network-bridge", {"--network", "bridge=br0", "localhost/bcvk-test"}},
      {"labels", {"--label", "team=qa", "--label", "owner=Zoë <zoe@example.org>", "localhost/bcvk-test"}},
      {"kargs",
       {"--karg", "quiet", "--karg", "systemd.unit=multi-user.target", "--karg", "msg=hello world",
        "localhost/bcvk-test"}},
      {"execute-with-env",
       {"-e", "GREETING=hi", "--execute", "echo $GREETING", "--execute", "uname -r", "localhost/bcvk-test"}},
      {"bind", {"--bind", "/srv/data:data", "localhost/bcvk-test"}},
      {"bind-at-guest-path",
       {"--bind", "/srv/code:/workspace", "--ro-bind", "/srv/ref:/opt/ref/", "localhost/bcvk-test"}},
      {"ports", {"--port", "8080:80", "-p", "127.0.0.1:5353:53/udp", "localhost/bcvk-test"}},
      {"ports-on-a-bridge", {"--network", "bridge=br0", "--port", "8443:443", "localhost/bcvk-test"}},
      {"ro-bind-default-name", {"--ro-bind", "/srv/reference", "localhost/bcvk-test"}},
      {"bind-storage-ro", {"--bind-storage-ro", "localhost/bcvk-test"}},
      {"swap", {"--add-swap", "1G", "localhost/bcvk-test"}},
      {"disk-raw", {"--mount-disk-file", "/srv/disk.img:data", "localhost/bcvk-test"}},
      {"disk-qcow2-default-name", {"--mount-disk-file", "/srv/scratch.qcow2", "localhost/bcvk-test"}},
      {"serial-out", {"--virtio-serial-out", "trace:/srv/trace.log", "localhost/bcvk-test"}},
      {"systemd-units", {"--systemd-units", "/srv/units", "localhost/bcvk-test"}},
      {"cloud-init", {"--cloud-init", "/srv/seed", "-K", "localhost/bcvk-test-cloud-init"}},
      {"ignition", {"--ignition", "/srv/config.ign", "-K", "localhost/bcvk-test-ignition"}},
      {"console", {"--console", "--rm", "localhost/bcvk-test"}},
      {"arm64",
       {"--arch", "arm64", "-K", "--bind", "/srv/code:/workspace", "--add-swap", "1G", "--graphics", "vnc",
        "localhost/bcvk-test-arm64"}},
      {"everything",
       {"--name",
        "all",
        "--rm",
        "-K",
        "--memory",
        "3G",
        "--vcpus",
        "2",
        "--network",
        "user",
        "--label",
        "a=b",
        "--karg",
        "quiet",
        "-e",
        "X=1",
        "--execute",
        "true",
        "--bind",
        "/srv/rw:rw",
        "--ro-bind",
        "/srv/ro:ro",
        "--add-swap",
        "512M",
        "--mount-disk-file",
        "/srv/d.qcow2:d",
        "--virtio-serial-out",
        "log:/srv/log.txt",
        "localhost/bcvk-test:latest"}},
  };
  return rows;
}

const std::vector<Row>& error_rows() {
  static const std::vector<Row> rows{
      {"no-image", {}},
      {"unknown-option", {"--frobnicate", "localhost/bcvk-test"}},
      {"bad-memory", {"--memory", "lots", "localhost/bcvk-test"}},
      {"too-little-memory", {"--memory", "64M", "localhost/bcvk-test"}},
      {"zero-vcpus", {"--vcpus", "0", "localhost/bcvk-test"}},
      {"unknown-itype", {"--itype", "u9.huge", "localhost/bcvk-test"}},
      {"bad-name", {"--name", "../etc", "localhost/bcvk-test"}},
      {"empty-name", {"--name", "", "localhost/bcvk-test"}},
      {"bad-network", {"--network", "bridge=", "localhost/bcvk-test"}},
      {"bad-graphics", {"--graphics", "sdl", "localhost/bcvk-test"}},
      {"label-without-value", {"--label", "team", "localhost/bcvk-test"}},
      {"env-without-equals", {"-e", "JUSTANAME", "--execute", "true", "localhost/bcvk-test"}},
      {"relative-bind", {"--bind", "data", "localhost/bcvk-test"}},
      {"bind-over-etc", {"--bind", "/srv/etc:/etc/app", "localhost/bcvk-test"}},
      {"bind-over-root", {"--ro-bind", "/srv/root:/", "localhost/bcvk-test"}},
      {"port-without-network", {"--network", "none", "--port", "8080:80", "localhost/bcvk-test"}},
      {"port-bad-protocol", {"--port", "8080:80/sctp", "localhost/bcvk-test"}},
      {"bad-swap", {"--add-swap", "-1G", "localhost/bcvk-test"}},
      {"karg-with-newline", {"--karg", "a\nb", "localhost/bcvk-test"}},
      {"image-like-an-option", {"--", "-image"}},
      {"detach-with-console", {"-d", "--console", "localhost/bcvk-test"}},
      {"ignition-with-minimal-initramfs",
       {"--ignition", "/srv/config.ign", "--initramfs", "minimal", "localhost/bcvk-test-ignition"}},
      {"assume-ignition-alone", {"--assume-ignition", "localhost/bcvk-test-ignition"}},
  };
  return rows;
}

class ArgvToXml : public ::testing::TestWithParam<Row> {};

std::string row_name(const ::testing::TestParamInfo<Row>& info) {
  std::string n = info.param.name;
  std::replace(n.begin(), n.end(), '-', '_');
  return n;
}

void quiet_errors(void*, virErrorPtr) {}

} // namespace

TEST_P(ArgvToXml, MatchesGoldenValidatesAndStarts) {
  const Row& row = GetParam();
  const RunConfig config = parse_run_arguments(row.args, k_host_cpus);
  const InstancePlan plan = plan_instance(config, golden::fixed_facts(config));
  const std::string xml = render_domain_xml(plan.spec);
  const std::string golden = golden_dir() + "/" + row.name + ".xml";
  const std::string expected_text = "<!-- " + command_line(row.args) + " -->\n" + xml;
  if (regenerate()) {
    fs::create_directories(golden_dir());
    std::ofstream(golden) << expected_text;
  }
  ASSERT_TRUE(fs::exists(golden)) << "missing " << golden << "; regenerate it";
  EXPECT_EQ(expected_text, slurp(golden)) << command_line(row.args);

  const xml::Doc doc = xml::parse(xml, row.name);
  EXPECT_EQ(xml::relaxng_errors(doc.get(), k_schema), "") << command_line(row.args);

  virSetErrorFunc(nullptr, quiet_errors);
  const Connection conn = Connection::open("test:///default");
  if (plan.spec.network.backend == NetworkBackend::passt && conn.library_version() < 9002000) {
    return; // bcvk never picks passt on such a libvirt (see prepare.cpp)
  }
  const Domain domain = conn.create(xml, {});
  EXPECT_TRUE(domain.is_active()) << command_line(row.args);
  domain.destroy();
}

INSTANTIATE_TEST_SUITE_P(Rows, ArgvToXml, ::testing::ValuesIn(xml_rows()), row_name);

TEST(ArgvToXmlTable, HasAtLeastTwentyRowsEachWithItsOwnGolden) {
  EXPECT_GE(xml_rows().size(), 20U);
  std::set<std::string> names;
  for (const auto& row : xml_rows()) {
    EXPECT_TRUE(names.insert(row.name).second) << "duplicate row " << row.name;
  }
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(golden_dir())) {
    if (entry.path().extension() == ".xml") {
      ++files;
      EXPECT_TRUE(names.contains(entry.path().stem().string())) << entry.path() << " belongs to no row";
    }
  }
  EXPECT_EQ(files, names.size());
}

TEST(ArgvToError, EachBadCommandLineGivesItsOneLine) {
  const fs::path state = fs::temp_directory_path() / ("bcvk-argv-" + std::to_string(::getpid()));
  fs::create_directories(state / "instances");
  fs::permissions(state, fs::perms::owner_all);
  ::setenv("BCVK_STATE_DIR", state.c_str(), 1);
  ::setenv("BCVK_CONNECT", "test:///default", 1);
  std::string actual;
  SystemProcessRunner runner;
  for (const auto& row : error_rows()) {
    std::vector<std::string> argv{BCVK_BINARY, "ephemeral", "run"};
    argv.insert(argv.end(), row.args.begin(), row.args.end());
    const auto r = runner.run(argv);
    EXPECT_EQ(r.status, 125) << row.name << ": " << r.err;
    EXPECT_EQ(r.out, "") << row.name;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << row.name << ": " << r.err;
    actual += "$ " + command_line(row.args) + "\n" + r.err + "\n";
  }
  EXPECT_TRUE(fs::is_empty(state / "instances")) << "a refused command line created an instance";
  fs::remove_all(state);
  ::unsetenv("BCVK_STATE_DIR");
  ::unsetenv("BCVK_CONNECT");
  const std::string golden = golden_dir() + "/errors.golden";
  if (regenerate()) {
    std::ofstream(golden) << actual;
  }
  EXPECT_EQ(actual, slurp(golden));
}
