// The command-line contract, checked on the real binary: exit codes, one-line errors, help.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "bcvk/host/process.hpp"

using namespace bcvk;

namespace {

ProcessResult bcvk_cli(std::vector<std::string> args) {
  args.insert(args.begin(), BCVK_BINARY);
  SystemProcessRunner runner;
  return runner.run(args);
}

std::size_t line_count(const std::string& s) {
  std::size_t n = 0;
  for (const char c : s) {
    n += c == '\n' ? 1 : 0;
  }
  return n;
}

// Runs with an isolated state directory and libvirt's test driver so no daemon is needed.
class Cli : public ::testing::Test {
protected:
  void SetUp() override {
    m_state = std::filesystem::temp_directory_path() / ("bcvk-cli-" + std::to_string(::getpid()));
    std::filesystem::create_directories(m_state);
    ::setenv("BCVK_STATE_DIR", m_state.c_str(), 1);
    ::setenv("BCVK_CONNECT", "test:///default", 1);
  }
  void TearDown() override {
    std::filesystem::remove_all(m_state);
    ::unsetenv("BCVK_STATE_DIR");
    ::unsetenv("BCVK_CONNECT");
  }
  std::filesystem::path m_state;
};

} // namespace

TEST_F(Cli, HelpExitsZeroEverywhere) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--help"},
                                                                {"ephemeral", "--help"},
                                                                {"ephemeral", "run", "--help"},
                                                                {"ephemeral", "ssh", "--help"},
                                                                {"ephemeral", "run-ssh", "--help"},
                                                                {"ephemeral", "ps", "--help"},
                                                                {"ephemeral", "stop", "--help"},
                                                                {"ephemeral", "start", "--help"},
                                                                {"ephemeral", "rm", "--help"},
                                                                {"ephemeral", "inspect", "--help"},
                                                                {"ephemeral", "logs", "--help"},
                                                                {"images", "list", "--help"}}) {
    const auto r = bcvk_cli(args);
    EXPECT_EQ(r.status, 0) << args.back() << r.err;
    EXPECT_NE(r.out.find("Usage"), std::string::npos);
  }
}

TEST_F(Cli, VersionPrintsItsOwnAndWhatItDrives) {
  const auto r = bcvk_cli({"--version"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.out.starts_with(std::string("bcvk ") + BCVK_VERSION + "\nlibvirt: ")) << r.out;
  EXPECT_NE(r.out.find("\nqemu: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\npodman: "), std::string::npos) << r.out;
  EXPECT_EQ(line_count(r.out), 4U) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST_F(Cli, NoEscapeSequencesWhenOutputIsNotATerminal) {
  // stderr is a pipe here: no escape sequence of any kind, whatever the log level says.
  const auto r = bcvk_cli({"--log-level", "debug", "ephemeral", "ps"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find('\033'), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find('\033'), std::string::npos) << r.out;
}

TEST_F(Cli, UnknownFlagIsAUsageErrorWithCode125) {
  const auto r = bcvk_cli({"ephemeral", "run", "--no-such-flag", "img"});
  EXPECT_EQ(r.status, 125);
  EXPECT_EQ(line_count(r.err), 1U) << r.err;
  EXPECT_NE(r.err.find("bcvk: error:"), std::string::npos);
  EXPECT_NE(r.err.find("--no-such-flag"), std::string::npos);
  EXPECT_NE(r.err.find("bcvk ephemeral run --help"), std::string::npos) << r.err;
}

TEST_F(Cli, MissingSubcommandAndImage) {
  EXPECT_EQ(bcvk_cli({}).status, 125);
  EXPECT_EQ(bcvk_cli({"ephemeral"}).status, 125);
  const auto r = bcvk_cli({"ephemeral", "run"});
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("IMAGE"), std::string::npos);
}

// Every option of the upstream man page parses; a bad --memory placed after it proves that parsing
// reached validation (an unknown option would fail earlier with a different message).
// --memory itself is probed with a bad --vcpus instead.
TEST_F(Cli, EverySeedOptionIsAccepted) {
  const std::vector<std::vector<std::string>> options{{"--itype", "u1.small"},
                                                      {"--memory", "2G"},
                                                      {"--vcpus", "2"},
                                                      {"--console"},
                                                      {"--debug"},
                                                      {"--virtio-serial-out", "log:/tmp/x"},
                                                      {"--execute", "echo hi"},
                                                      {"-K"},
                                                      {"--ssh-keygen"},
                                                      {"-t"},
                                                      {"--tty"},
                                                      {"-i"},
                                                      {"--interactive"},
                                                      {"-d"},
                                                      {"--detach"},
                                                      {"--rm"},
                                                      {"--name", "vm1"},
                                                      {"--network", "user"},
                                                      {"--label", "a=b"},
                                                      {"-e", "A=b"},
                                                      {"--env", "A=b"},
                                                      {"--debug-entrypoint", "bash"},
                                                      {"--bind", "/tmp:t"},
                                                      {"--ro-bind", "/tmp:t2"},
                                                      {"--systemd-units", "/tmp/u"},
                                                      {"--bind-storage-ro"},
                                                      {"--add-swap", "1G"},
                                                      {"--mount-disk-file", "/tmp/d.raw:d"},
                                                      {"--karg", "foo=bar"},
                                                      {"--ssh-timeout", "30"}};
  for (const auto& opt : options) {
    std::vector<std::string> args{"ephemeral", "run"};
    args.insert(args.end(), opt.begin(), opt.end());
    const bool probe_vcpus = opt.front() == "--memory";
    args.insert(args.end(), {probe_vcpus ? "--vcpus" : "--memory", "lots", "img"});
    const auto r = bcvk_cli(args);
    EXPECT_EQ(r.status, 125) << opt.front();
    const std::string expected = probe_vcpus ? "--vcpus: invalid count 'lots'" : "--memory: invalid size 'lots'";
    EXPECT_NE(r.err.find(expected), std::string::npos) << opt.front() << ": " << r.err;
  }
}

TEST_F(Cli, BadValuesExit125WithOneLineNamingTheOption) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--memory", "64M"}, "--memory: size '64M' is out of range: use 128 MiB to 1 TiB"},
      {{"--vcpus", "0"}, "--vcpus: invalid count '0'"},
      {{"--itype", "u9.giant"}, "--itype: unknown instance type 'u9.giant'"},
      {{"--name", "-bad"}, "--name: invalid VM name '-bad'"},
      {{"--bind", "/tmp:bad name"}, "--bind: invalid mount name 'bad name'"},
      {{"--mount-disk-file", ":x"}, "--mount-disk-file: ':x' has no file"},
      {{"--virtio-serial-out", "nofile"}, "--virtio-serial-out: invalid value 'nofile'"},
      {{"--label", "novalue"}, "--label: invalid value 'novalue': use KEY=VALUE"},
      {{"-e", "1X=y"}, "--env: invalid variable name '1X'"},
      {{"--add-swap", "x"}, "--add-swap: invalid size 'x'"},
      {{"--network", "slirp4netns:x"}, "--network: unsupported value 'slirp4netns:x'"},
      {{"-d", "-t"}, "--detach cannot be combined with --tty/--interactive"},
  };
  for (const auto& [opt, message] : cases) {
    std::vector<std::string> args{"ephemeral", "run"};
    args.insert(args.end(), opt.begin(), opt.end());
    args.push_back("img");
    const auto r = bcvk_cli(args);
    EXPECT_EQ(r.status, 125) << message;
    EXPECT_EQ(line_count(r.err), 1U) << r.err;
    EXPECT_NE(r.err.find("bcvk: error: " + message), std::string::npos) << r.err;
  }
}

TEST_F(Cli, PsPrintsEmptyJsonArrayWhenNothingRuns) {
  const auto r = bcvk_cli({"ephemeral", "ps", "--format", "json"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "[]\n");
  const auto table = bcvk_cli({"ephemeral", "ps", "-a"});
  EXPECT_EQ(table.status, 0);
  EXPECT_EQ(table.out.rfind("NAME", 0), 0U) << table.out;
}

TEST_F(Cli, PsRejectsUnknownFormat) {
  const auto r = bcvk_cli({"ephemeral", "ps", "--format", "yaml"});
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("--format: unknown format 'yaml': use table or json"), std::string::npos);
}

TEST_F(Cli, VerbsOnUnknownVmsFailClearly) {
  for (const auto& verb : {"inspect", "start", "logs"}) {
    const auto r = bcvk_cli({"ephemeral", verb, "nope"});
    EXPECT_EQ(r.status, 125) << verb;
    EXPECT_NE(r.err.find("no ephemeral VM named 'nope'"), std::string::npos) << verb << ": " << r.err;
  }
  const auto rm = bcvk_cli({"ephemeral", "rm", "nope"});
  EXPECT_EQ(rm.status, 125);
  EXPECT_NE(rm.err.find("no ephemeral VM named 'nope'"), std::string::npos);
}

TEST_F(Cli, SshRefusalsAreOneLineNamingTheFix) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"ephemeral", "ssh", "nope"}, "no ephemeral VM named 'nope'"},
      {{"ephemeral", "ssh", "nope", "-L", "80"}, "-L: invalid forward '80'"},
      {{"ephemeral", "ssh", "-R", "1:h:99999", "nope"}, "-R: invalid forward '1:h:99999'"},
      {{"ephemeral", "ssh", "--ssh-timeout", "0", "nope"}, "--ssh-timeout: must be at least 1 second"},
      {{"ephemeral", "run", "-K", "--network", "none", "img"}, "--ssh-keygen: a VM with --network none"},
      {{"ephemeral", "run-ssh", "--execute", "true", "img"}, "run-ssh: --execute cannot be used here"},
      {{"ephemeral", "run-ssh", "--network", "none", "img"}, "run-ssh: --network none cannot be used here"},
      {{"ephemeral", "run-ssh", "--console", "img"}, "run-ssh: --console/-t/-i cannot be used here"},
  };
  for (const auto& [args, message] : cases) {
    const auto r = bcvk_cli(args);
    EXPECT_EQ(r.status, 125) << message;
    EXPECT_EQ(line_count(r.err), 1U) << r.err;
    EXPECT_NE(r.err.find("bcvk: error: " + message), std::string::npos) << r.err;
  }
}

TEST_F(Cli, UnreachableLibvirtIsOneClearLine) {
  const auto r = bcvk_cli({"-c", "qemu+unix:///system?socket=/nonexistent.sock", "ephemeral", "ps"});
  EXPECT_EQ(r.status, 125);
  EXPECT_EQ(line_count(r.err), 1U) << r.err;
  EXPECT_NE(r.err.find("cannot connect to libvirt"), std::string::npos);
}
