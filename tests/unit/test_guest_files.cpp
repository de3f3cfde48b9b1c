#include <gtest/gtest.h>

#include <filesystem>

#include "bcvk/guest_files.hpp"
#include "bcvk/process.hpp"

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
  const std::string script = execute_script({"echo one", "exit 3", "echo never"}, {{"GREETING", "hi there"}});
  EXPECT_NE(script.find("export GREETING='hi there'"), std::string::npos);
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
  std::string script =
      execute_script({"echo \"$GREETING\"", "echo err >&2; exit 3", "echo never"}, {{"GREETING", "it's \"x\""}});
  for (const char *port : {"stdout", "stderr", "status"}) {
    const std::string from = std::string("/dev/virtio-ports/org.bcvk.execute.") + port;
    const std::string to = (dir / port).string();
    for (auto pos = script.find(from); pos != std::string::npos; pos = script.find(from)) {
      script.replace(pos, from.size(), to);
    }
  }
  SystemProcessRunner runner;
  EXPECT_EQ(runner.run({"/bin/sh", "-c", script}).status, 0);
  const auto read = [&](const char *name) { return runner.run({"cat", (dir / name).string()}).out; };
  EXPECT_EQ(read("stdout"), "it's \"x\"\n");
  EXPECT_EQ(read("stderr"), "err\n");
  EXPECT_EQ(read("status"), "3\n");
  std::filesystem::remove_all(dir);
}

TEST(ExecuteUnit, PowersOffAfterTheSystemIsUp) {
  const std::string unit = execute_unit();
  EXPECT_NE(unit.find("After=multi-user.target"), std::string::npos);
  EXPECT_NE(unit.find("SuccessAction=poweroff"), std::string::npos);
  EXPECT_NE(unit.find("FailureAction=poweroff"), std::string::npos);
  EXPECT_NE(unit.find("ExecStart=/bin/sh /etc/bcvk/execute.sh"), std::string::npos);
  EXPECT_NE(unit.find("WantedBy=multi-user.target"), std::string::npos);
}

TEST(InstallGuestFiles, WritesFilesAndEnablementLink) {
  const auto root = std::filesystem::temp_directory_path() / ("bcvk-root-" + std::to_string(::getpid()));
  install_guest_files(root.string(), execute_files({"true"}, {}));
  EXPECT_TRUE(std::filesystem::is_regular_file(root / "etc/bcvk/execute.sh"));
  EXPECT_TRUE(std::filesystem::is_regular_file(root / "etc/systemd/system/bcvk-execute.service"));
  const auto link = root / "etc/systemd/system/multi-user.target.wants/bcvk-execute.service";
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(std::filesystem::read_symlink(link), "/etc/systemd/system/bcvk-execute.service");
  // Installing twice (a restarted kept VM) replaces rather than fails.
  EXPECT_NO_THROW(install_guest_files(root.string(), execute_files({"false"}, {})));
  std::filesystem::remove_all(root);
}
