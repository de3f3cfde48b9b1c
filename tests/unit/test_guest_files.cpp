#include <gtest/gtest.h>

#include <filesystem>

#include "bcvk/util/error.hpp"
#include "bcvk/host/guest_install.hpp"
#include "bcvk/vm/guest_files.hpp"
#include "bcvk/host/process.hpp"

using namespace bcvk;

TEST(ShellQuote, SurvivesEveryCharacter) {
  EXPECT_EQ(shell_quote("plain"), "'plain'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote(""), "''");
}

// The quoting is checked by a real shell: what goes in is what the command sees.
TEST(ShellQuote, RoundTripsThroughShell) {
  SystemProcessRunner runner;
  for (const std::string text : {"a b", "it's \"quoted\"", "$HOME `x` $(y) \\ ;|&", "ünïcødé ✓", "new\nline"}) {
    const auto r = runner.run({"/bin/sh", "-c", "printf %s " + shell_quote(text)});
    EXPECT_EQ(r.out, text);
  }
}

TEST(ExecuteScript, RunsCommandsInOrderAndStopsAtFirstFailure) {
  const std::string script = execute_script({"echo one", "exit 3", "echo never"});
  EXPECT_NE(script.find(". /etc/bcvk/execute.env"), std::string::npos);
  EXPECT_NE(script.find("/dev/virtio-ports/org.bcvk.execute.stdout"), std::string::npos);
  EXPECT_NE(script.find("/dev/virtio-ports/org.bcvk.execute.status"), std::string::npos);
  const auto one = script.find("'echo one'");
  const auto three = script.find("'exit 3'");
  ASSERT_NE(one, std::string::npos);
  ASSERT_NE(three, std::string::npos);
  EXPECT_LT(one, three);
}

// Runs the generated script on the host with the virtio ports replaced by files.
TEST(ExecuteScript, BehavesAsPromisedWhenRun) {
  const auto dir = std::filesystem::temp_directory_path() / ("bcvk-exec-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string script = execute_script({"echo \"$GREETING\"", "echo err >&2; exit 3", "echo never"});
  const std::string env_file = (dir / "execute.env").string();
  SystemProcessRunner runner;
  runner.run(
      {"/bin/sh", "-c", "cat > " + env_file + " <<'EOF'\n" + execute_env_file({{"GREETING", "it's \"x\""}}) + "EOF"});
  for (auto pos = script.find(k_execute_env_path); pos != std::string::npos; pos = script.find(k_execute_env_path)) {
    script.replace(pos, std::string(k_execute_env_path).size(), env_file);
  }
  const std::string done_file = (dir / "execute.done").string();
  for (auto pos = script.find(k_execute_done_path); pos != std::string::npos; pos = script.find(k_execute_done_path)) {
    script.replace(pos, std::string(k_execute_done_path).size(), done_file);
  }
  for (const char* port : {"stdout", "stderr", "status"}) {
    const std::string from = std::string("/dev/virtio-ports/org.bcvk.execute.") + port;
    const std::string to = (dir / port).string();
    for (auto pos = script.find(from); pos != std::string::npos; pos = script.find(from)) {
      script.replace(pos, from.size(), to);
    }
  }
  EXPECT_EQ(runner.run({"/bin/sh", "-c", script}).status, 0);
  const auto read = [&](const char* name) { return runner.run({"cat", (dir / name).string()}).out; };
  EXPECT_EQ(read("stdout"), "it's \"x\"\n");
  EXPECT_EQ(read("stderr"), "err\n");
  EXPECT_EQ(read("status"), "3\n");
  EXPECT_TRUE(std::filesystem::exists(done_file)) << "the mark that keeps a restarted VM from running them again";
  std::filesystem::remove_all(dir);
}

TEST(ExecuteUnit, PowersOffAfterTheSystemIsUp) {
  const std::string unit = execute_unit();
  EXPECT_NE(unit.find("After=multi-user.target"), std::string::npos);
  EXPECT_NE(unit.find("SuccessAction=poweroff"), std::string::npos);
  EXPECT_NE(unit.find("FailureAction=poweroff"), std::string::npos);
  EXPECT_NE(unit.find(std::string("ConditionPathExists=!") + k_execute_done_path), std::string::npos)
      << "skipped (no power-off) once the commands ran";
  EXPECT_NE(unit.find("ExecStart=/bin/sh /etc/bcvk/execute.sh"), std::string::npos);
  EXPECT_NE(unit.find("WantedBy=multi-user.target"), std::string::npos);
}

TEST(InstallGuestFiles, WritesFilesAndEnablementLink) {
  const auto root = std::filesystem::temp_directory_path() / ("bcvk-root-" + std::to_string(::getpid()));
  std::filesystem::create_directories(root);
  install_guest_files(RootedTree::open(root, "the guest root"), {}, execute_files({"true"}));
  EXPECT_TRUE(std::filesystem::is_regular_file(root / "etc/bcvk/execute.sh"));
  EXPECT_EQ(std::filesystem::status(root / "etc/bcvk/execute.sh").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
  EXPECT_TRUE(std::filesystem::is_regular_file(root / "etc/systemd/system/bcvk-execute.service"));
  const auto link = root / "etc/systemd/system/multi-user.target.wants/bcvk-execute.service";
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(std::filesystem::read_symlink(link), "/etc/systemd/system/bcvk-execute.service");
  // Installing twice (a restarted kept VM) replaces rather than fails.
  EXPECT_NO_THROW(install_guest_files(RootedTree::open(root, "the guest root"), {}, execute_files({"false"})));
  std::filesystem::remove_all(root);
}

TEST(EnvFiles, RootOnlyAndQuotedForShellAndSystemd) {
  EXPECT_TRUE(env_files({}).empty());
  const auto files = env_files({{"A", "x \"y\" \\ z"}, {"B", "it's"}});
  ASSERT_EQ(files.size(), 2U);
  for (const auto& f : files) {
    EXPECT_EQ(f.mode, 0600U) << f.path;
  }
  EXPECT_EQ(files[0].path, "etc/bcvk/execute.env");
  EXPECT_NE(files[0].content.find("export B='it'\\''s'"), std::string::npos) << files[0].content;
  EXPECT_EQ(files[1].path, "etc/systemd/system.conf.d/50-bcvk-env.conf");
  EXPECT_NE(files[1].content.find("[Manager]\nDefaultEnvironment=\"A=x \\\"y\\\" \\\\ z\" \"B=it's\"\n"),
            std::string::npos)
      << files[1].content;
}

TEST(UnitNames, OnlyRealUnitNamesCanBecomePaths) {
  for (const char* ok : {"multi-user.target", "foo@bar.service", "a\\x2db.mount", "x.timer"}) {
    EXPECT_TRUE(is_unit_name(ok)) << ok;
  }
  for (const char* bad : {"", "../../etc/cron.d", "a/b.target", "x", ".target", "-x.service", "a b.target",
                          "x.target/../../y.service", "x.exe"}) {
    EXPECT_FALSE(is_unit_name(bad)) << bad;
  }
  EXPECT_THROW(enable_links("a.service", "[Install]\nWantedBy=../../../tmp/x.target\n"), Error);
}

TEST(SystemdEscape, MatchesSystemdEscapePath) {
  EXPECT_EQ(systemd_escape_path("/run/virtiofs-mnt-src"), "run-virtiofs\\x2dmnt\\x2dsrc");
  EXPECT_EQ(systemd_escape_path("/dev/disk/by-id/virtio-bcvk-swap"), "dev-disk-by\\x2did-virtio\\x2dbcvk\\x2dswap");
  EXPECT_EQ(systemd_escape_path("/run/virtiofs-mnt-my.data_1/"), "run-virtiofs\\x2dmnt\\x2dmy.data_1");
  EXPECT_EQ(systemd_escape_path("/"), "-");
  EXPECT_EQ(systemd_escape_path("/.hidden"), "\\x2ehidden");
}

// The real systemd-escape agrees (it ships with systemd on every host bcvk runs on).
TEST(SystemdEscape, AgreesWithSystemdEscapeTool) {
  SystemProcessRunner runner;
  for (const std::string path : {"/run/virtiofs-mnt-src", "/run/virtiofs-mnt-a.b_c", "/dev/disk/by-id/virtio-x-y"}) {
    const auto r = runner.run({"systemd-escape", "--path", path});
    ASSERT_EQ(r.status, 0);
    EXPECT_EQ(systemd_escape_path(path) + "\n", r.out) << path;
  }
}

TEST(MountUnit, ReadOnlyAndReadWrite) {
  const auto rw = virtiofs_mount_unit("mnt-src", "/run/virtiofs-mnt-src", false);
  EXPECT_EQ(rw.path, "etc/systemd/system/run-virtiofs\\x2dmnt\\x2dsrc.mount");
  EXPECT_NE(rw.content.find("What=mnt-src\nWhere=/run/virtiofs-mnt-src\nType=virtiofs\nOptions=rw\n"),
            std::string::npos);
  EXPECT_NE(rw.content.find("Before=local-fs.target"), std::string::npos);
  const auto ro = virtiofs_mount_unit("mnt-conf", "/run/virtiofs-mnt-conf", true);
  EXPECT_NE(ro.content.find("Options=ro\n"), std::string::npos);
}

TEST(SwapUnit, NamesTheDiskBySerial) {
  const auto unit = swap_unit("bcvk-swap");
  EXPECT_EQ(unit.path, "etc/systemd/system/dev-disk-by\\x2did-virtio\\x2dbcvk\\x2dswap.swap");
  EXPECT_NE(unit.content.find("What=/dev/disk/by-id/virtio-bcvk-swap"), std::string::npos);
  EXPECT_NE(unit.content.find("WantedBy=swap.target"), std::string::npos);
}

TEST(InstallSection, WantedByAndRequiredBy) {
  const std::string unit = "[Unit]\nDescription=x\nWantedBy=ignored.target\n\n[Service]\nExecStart=/bin/true\n\n"
                           "[Install]\n# comment\nWantedBy=multi-user.target  graphical.target\n"
                           "RequiredBy = local-fs.target\nAlias=other.service\n";
  const auto targets = install_targets(unit);
  ASSERT_EQ(targets.size(), 3U);
  EXPECT_EQ(targets[0], (std::pair<std::string, std::string>{"multi-user.target", "wants"}));
  EXPECT_EQ(targets[1], (std::pair<std::string, std::string>{"graphical.target", "wants"}));
  EXPECT_EQ(targets[2], (std::pair<std::string, std::string>{"local-fs.target", "requires"}));
  const auto links = enable_links("hello.service", unit);
  ASSERT_EQ(links.size(), 3U);
  EXPECT_EQ(links[0].path, "etc/systemd/system/multi-user.target.wants/hello.service");
  EXPECT_EQ(links[0].content, "/etc/systemd/system/hello.service");
  EXPECT_TRUE(links[0].symlink);
  EXPECT_TRUE(install_targets("[Service]\nExecStart=/bin/true\n").empty());
}

TEST(JournalUnit, StreamsToItsPortFromEarlyBoot) {
  const auto unit = journal_unit();
  EXPECT_NE(unit.content.find("/dev/virtio-ports/org.bcvk.journal"), std::string::npos);
  EXPECT_NE(unit.content.find("WantedBy=sysinit.target"), std::string::npos);
  EXPECT_NE(unit.content.find("DefaultDependencies=no"), std::string::npos);
}
