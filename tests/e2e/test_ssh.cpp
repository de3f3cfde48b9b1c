// Reaching the guest over SSH the way a developer does: a detached VM with keys, commands and their
// exit statuses, port forwards, an interactive shell, a host that is not who it should be, run-ssh,
// and readiness that never comes.
#include "e2e_support.hpp"
#include "loopback.hpp"

#include <sys/stat.h>

#include <memory>
#include <numeric>
#include <sstream>
#include <set>

#include <nlohmann/json.hpp>

#include "bcvk/instance/ports.hpp"

using namespace bcvk::e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A guard for the suite only, above bcvk's own hard cap for an emulated guest (900 s): bcvk's
// limits, which follow the guest's progress, are what end a slow boot.
constexpr int k_boot_budget_s = 1200;

class Ssh : public ::testing::Test {
protected:
  void SetUp() override { use_test_environment(); }
};

std::string instance_file(const std::string& name, const std::string& rel) {
  return state_dir() + "/instances/" + name + "/" + rel;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

std::vector<std::string> ssh_args(const std::string& name, std::vector<std::string> rest) {
  std::vector<std::string> args{"ephemeral", "ssh", name};
  args.insert(args.end(), rest.begin(), rest.end());
  return args;
}

// The numbers of the "chatty-NNNNNN" lines in a journal, in the order they appear.
std::vector<int> chatty_numbers(const std::string& journal) {
  std::vector<int> numbers;
  std::istringstream lines(journal);
  for (std::string line; std::getline(lines, line);) {
    if (const auto at = line.find(": chatty-"); at != std::string::npos) {
      numbers.push_back(std::stoi(line.substr(at + 9, 6)));
    }
  }
  return numbers;
}

std::vector<int> expected_chatty_numbers(int count) {
  std::vector<int> numbers(static_cast<std::size_t>(count));
  std::iota(numbers.begin(), numbers.end(), 1);
  return numbers;
}

} // namespace

TEST_F(Ssh, DetachedVmWithKeysServesCommandsForwardsAndAShell) {
  const std::string vm = "e2e-ssh";
  const auto removed = removed_at_exit({vm});
  const auto started =
      bcvk_within(k_boot_budget_s, {"ephemeral", "run", "-d", "-K", "--rm", "--name", vm, "--memory", "1G", k_image});
  ASSERT_EQ(started.status, 0) << started.err;
  EXPECT_EQ(started.out, vm + "\n");
  EXPECT_EQ(mode_of(instance_file(vm, "ssh")), 0700U);
  EXPECT_EQ(mode_of(instance_file(vm, "ssh/id_ed25519")), 0600U);

  // Nothing of the image is copied per instance: kernel and initramfs are read-only mounts that
  // stay root's and 0644 whatever libvirt tried while starting QEMU, and the directory itself
  // holds less than 1 MiB besides what the guest wrote (keys, state, saved domain).
  for (const char* boot_file : {"boot/vmlinuz", "boot/initramfs.img"}) {
    struct stat st {};
    ASSERT_EQ(::stat(instance_file(vm, boot_file).c_str(), &st), 0) << boot_file;
    EXPECT_EQ(st.st_uid, 0U) << boot_file;
    EXPECT_EQ(st.st_mode & 07777, 0644U) << boot_file;
    EXPECT_GT(st.st_size, 1 << 20) << boot_file;
    EXPECT_NE(::access(instance_file(vm, boot_file).c_str(), W_OK), 0) << boot_file;
    EXPECT_EQ(errno, EROFS) << boot_file;
  }
  const DiskUse use = instance_disk_use(vm);
  EXPECT_GT(use.guest_kib, 0);
  EXPECT_LE(use.total_kib - use.guest_kib, 1024)
      << "the instance directory holds " << use.total_kib << " KiB, of which the guest wrote " << use.guest_kib;

  // `run -d -K` returned only once SSH worked: the very next command needs no waiting.
  const auto cmd = bcvk_within(120, ssh_args(vm, {"--", "echo out-line; echo err-line >&2; exit 7"}));
  EXPECT_EQ(cmd.status, 7) << cmd.err;
  EXPECT_EQ(cmd.out, "out-line\n");
  EXPECT_EQ(cmd.err, "err-line\n");

  const auto words = bcvk_within(120, ssh_args(vm, {"printf", "'%s|%s\\n'", "\"it's ✓\"", "\"a  b\""}));
  EXPECT_EQ(words.status, 0) << words.err;
  EXPECT_EQ(words.out, "it's ✓|a  b\n");

  const auto killed = bcvk_within(120, ssh_args(vm, {"--", "kill -TERM $$"}));
  EXPECT_EQ(killed.status, 128 + SIGTERM) << killed.err;

  const auto piped = run({"sh", "-c",
                          "printf 'line one\\nline two\\n' | BCVK_STATE_DIR=" + state_dir() + " " + BCVK_BINARY +
                              " ephemeral ssh " + vm + " -- 'wc -l'"});
  EXPECT_EQ(piped.status, 0) << piped.err;
  EXPECT_EQ(piped.out, "2\n") << "stdin reaches the remote command";

  // -L: a host port leads to the guest's own sshd (named "localhost", which the guest resolves as
  // real images do); -R: a guest port leads to a host server.
  const unsigned local_port = bcvk::pick_loopback_port();
  {
    Background tunnel(ssh_args(vm, {"-L", std::to_string(local_port) + ":localhost:22", "--", "sleep 60"}));
    EXPECT_TRUE(
        eventually([&] { return loopback_banner(static_cast<int>(local_port)).rfind("SSH-2.0-", 0) == 0; }, 60s))
        << tunnel.err();
  }
  LoopbackServer server("reply-through-R\n");
  const auto reverse = bcvk_within(120, ssh_args(vm, {"-R", "2222:127.0.0.1:" + std::to_string(server.port()), "--",
                                                      "exec 3<>/dev/tcp/127.0.0.1/2222; head -n1 <&3"}));
  EXPECT_EQ(reverse.status, 0) << reverse.err;
  EXPECT_EQ(reverse.out, "reply-through-R\n");

  // The system's OpenSSH reaches the VM through `ssh-config`, checking its host key as strictly as
  // bcvk does: scp copies a file in, rsync a directory tree out.
  const std::string ssh_config = "/var/tmp/bcvk-e2e-ssh-config";
  const auto write_ssh_config = [&] {
    const auto printed = bcvk_cli({"ephemeral", "ssh-config", vm});
    std::ofstream(ssh_config, std::ios::trunc) << printed.out;
    return printed;
  };
  const AtScopeExit config_removed([&] { fs::remove(ssh_config); });
  const auto config = write_ssh_config();
  ASSERT_EQ(config.status, 0) << config.err;
  EXPECT_TRUE(contains(config.out, "Host " + vm + "\n")) << config.out;
  const std::string payload = "/var/tmp/bcvk-e2e-payload";
  std::ofstream(payload) << "payload " << ::getpid() << "\n";
  const auto scp = run({"scp", "-F", ssh_config, "-o", "BatchMode=yes", payload, vm + ":/var/tmp/payload"});
  EXPECT_EQ(scp.status, 0) << scp.err;
  EXPECT_EQ(bcvk_within(120, ssh_args(vm, {"cat", "/var/tmp/payload"})).out, slurp(payload));
  fs::remove(payload);
  ASSERT_EQ(bcvk_within(120, ssh_args(vm, {"--", "mkdir -p /var/tmp/tree/sub && echo a > /var/tmp/tree/a && "
                                                 "echo b > /var/tmp/tree/sub/b"}))
                .status,
            0);
  const std::string pulled = "/var/tmp/bcvk-e2e-rsync";
  fs::remove_all(pulled);
  const auto rsync =
      run({"rsync", "-a", "-e", "ssh -F " + ssh_config + " -o BatchMode=yes", vm + ":/var/tmp/tree/", pulled + "/"});
  EXPECT_EQ(rsync.status, 0) << rsync.err;
  EXPECT_EQ(slurp(pulled + "/a"), "a\n");
  EXPECT_EQ(slurp(pulled + "/sub/b"), "b\n");
  fs::remove_all(pulled);

  // An interactive shell in a terminal: size, resize, Ctrl-C reaching the guest, exit status.
  const std::string session = "bcvk-e2e-ssh-tty";
  const auto capture = [&] { return run({"tmux", "capture-pane", "-p", "-S", "-200", "-t", session}).out; };
  run({"tmux", "kill-session", "-t", session});
  const AtScopeExit tmux_killed([&] { run({"tmux", "kill-session", "-t", session}); });
  const std::string shell = std::string("BCVK_STATE_DIR=") + state_dir() + " " + BCVK_BINARY + " ephemeral ssh " + vm +
                            "; echo EXIT=$?; stty -a | grep -q ' icanon ' && echo TERMINAL=restored; sleep 600";
  ASSERT_EQ(run({"tmux", "new-session", "-d", "-x", "120", "-y", "40", "-s", session, shell}).status, 0);
  ASSERT_TRUE(eventually([&] { return contains(capture(), "root@"); }, 120s)) << capture();
  run({"tmux", "send-keys", "-t", session, "echo SIZE=$(stty size | tr ' ' x)", "Enter"});
  EXPECT_TRUE(eventually([&] { return contains(capture(), "SIZE=40x120"); }, 30s)) << capture();
  run({"tmux", "resize-window", "-t", session, "-x", "100", "-y", "30"});
  run({"tmux", "send-keys", "-t", session, "echo SIZE=$(stty size | tr ' ' x)", "Enter"});
  EXPECT_TRUE(eventually([&] { return contains(capture(), "SIZE=30x100"); }, 30s)) << capture();
  run({"tmux", "send-keys", "-t", session, "sleep 300", "Enter"});
  std::this_thread::sleep_for(2s);
  run({"tmux", "send-keys", "-t", session, "C-c"});
  run({"tmux", "send-keys", "-t", session, "echo still-$((20+1)); exit 5", "Enter"});
  EXPECT_TRUE(eventually([&] { return contains(capture(), "EXIT=5"); }, 60s)) << capture();
  EXPECT_TRUE(contains(capture(), "still-21")) << "Ctrl-C stopped sleep, not the session: " << capture();
  EXPECT_TRUE(eventually([&] { return contains(capture(), "TERMINAL=restored"); }, 10s)) << capture();
  run({"tmux", "kill-session", "-t", session});

  // The journal arrives whole: a unit logging about twice what virtlogd keeps in one file (2 MiB) is
  // read back by `logs` line for line, in order, nothing lost or repeated at the rotations.
  constexpr int k_chatty_lines = 30000;
  const auto chatty = bcvk_within(
      600,
      ssh_args(vm, {"--", "systemd-run --wait --quiet -p LogRateLimitIntervalSec=0 --unit=bcvk-e2e-chatty "
                          "seq -f 'chatty-%06g ................................................................' 1 " +
                              std::to_string(k_chatty_lines)}));
  EXPECT_EQ(chatty.status, 0) << chatty.err;
  const std::string last_line = ": chatty-0" + std::to_string(k_chatty_lines); // seq's %06g
  std::string journal;
  EXPECT_TRUE(eventually(
      [&] {
        journal = bcvk_cli({"ephemeral", "logs", vm}).out;
        return contains(journal, last_line);
      },
      300s))
      << "the last line never arrived";
  EXPECT_EQ(chatty_numbers(journal), expected_chatty_numbers(k_chatty_lines));
  EXPECT_TRUE(fs::exists(instance_file(vm, "journal.log.0"))) << "virtlogd rotated the journal on the way";

  // A server with another host key is refused, however well it otherwise answers.
  const std::string host_pub = instance_file(vm, "ssh/ssh_host_ed25519_key.pub");
  const std::string genuine = slurp(host_pub);
  const std::string impostor = "/var/tmp/bcvk-e2e-impostor-key";
  fs::remove(impostor);
  fs::remove(impostor + ".pub");
  ASSERT_EQ(run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", impostor}).status, 0);
  std::ofstream(host_pub, std::ios::trunc) << slurp(impostor + ".pub");
  const auto mismatch = bcvk_within(120, ssh_args(vm, {"--", "echo should-not-run"}));
  ASSERT_EQ(write_ssh_config().status, 0); // its known-hosts file now holds the other key: OpenSSH refuses too
  const auto openssh_mismatch = run({"ssh", "-F", ssh_config, "-o", "BatchMode=yes", vm, "echo should-not-run"});
  EXPECT_EQ(openssh_mismatch.status, 255);
  EXPECT_EQ(openssh_mismatch.out, "");
  EXPECT_TRUE(contains(openssh_mismatch.err, "Host key verification failed")) << openssh_mismatch.err;
  std::ofstream(host_pub, std::ios::trunc) << genuine;
  ASSERT_EQ(write_ssh_config().status, 0);
  EXPECT_EQ(run({"ssh", "-F", ssh_config, "-o", "BatchMode=yes", vm, "echo genuine"}).out, "genuine\n");
  fs::remove(impostor);
  fs::remove(impostor + ".pub");
  EXPECT_EQ(mismatch.status, 125);
  EXPECT_EQ(mismatch.out, "");
  EXPECT_TRUE(contains(mismatch.err, "is not the one bcvk generated for it")) << mismatch.err;
  EXPECT_EQ(std::count(mismatch.err.begin(), mismatch.err.end(), '\n'), 1) << mismatch.err;
  EXPECT_EQ(bcvk_within(120, ssh_args(vm, {"true"})).status, 0) << "the genuine key works again";

  // `stop` waits for the guest to power off; Ctrl-C ends the waiting with 130 and one line. The
  // guest was asked to shut down already, so it still goes, and its supervisor removes it (--rm).
  {
    Background stopping({"--log-level", "debug", "ephemeral", "stop", vm});
    ASSERT_TRUE(eventually([&] { return contains(stopping.err(), "asked " + vm + " to shut down"); }, 60s))
        << stopping.err();
    stopping.signal(SIGINT);
    EXPECT_EQ(stopping.wait_exit(30s), 128 + SIGINT);
    const std::string err = stopping.err();
    EXPECT_TRUE(err.ends_with("\nbcvk: interrupted by Interrupt\n")) << err; // strsignal(SIGINT)
  }
  EXPECT_TRUE(eventually([&] { return !domain_exists(vm) && !fs::exists(instance_file(vm, "")); }, 300s));
  expect_nothing_left(vm);
}

TEST_F(Ssh, RunSshReturnsTheRemoteStatusAndAlwaysRemovesTheVm) {
  const auto r = bcvk_within(k_boot_budget_s, {"ephemeral", "run-ssh", "--name", "e2e-runssh", "--memory", "1G",
                                               k_image, "--", "echo hi from $(hostname); exit 42"});
  EXPECT_EQ(r.status, 42) << r.err;
  EXPECT_EQ(r.out, "hi from bcvk-test\n");
  expect_nothing_left("e2e-runssh");
}

TEST_F(Ssh, RunSshInterruptedWhileWaitingLeavesNothing) {
  Background session({"ephemeral", "run-ssh", "--name", "e2e-runssh-int", "--memory", "1G", k_image, "--", "true"});
  ASSERT_TRUE(eventually([] { return domain_exists("e2e-runssh-int"); }, 60s)) << session.err();
  session.signal(SIGINT);
  EXPECT_EQ(session.wait_exit(60s), 130) << session.err();
  expect_nothing_left("e2e-runssh-int");
}

TEST_F(Ssh, ReadinessTimeoutFailsClearlyAndCleansUp) {
  const std::string vm = "e2e-nossh";
  const auto r = bcvk_within(300, {"ephemeral", "run", "-d", "-K", "--rm", "--name", vm, "--memory", "1G", "--karg",
                                   "systemd.mask=ssh.service", "--ssh-timeout", "30", k_image});
  EXPECT_EQ(r.status, 125);
  EXPECT_EQ(r.out, "");
  const std::string first_line = r.err.substr(0, r.err.find('\n'));
  EXPECT_TRUE(contains(first_line, "did not come up within 30 s")) << r.err;
  // Then what the guest itself said, as lines of their own: its journal's last lines, or its
  // console's while the journal is not streaming yet (30 s is early in a boot without KVM).
  const auto said = r.err.find("\nlast lines of the guest's ");
  ASSERT_NE(said, std::string::npos) << r.err;
  const auto tail = r.err.substr(said + 1);
  EXPECT_TRUE(tail.rfind("last lines of the guest's journal:\n  ", 0) == 0 ||
              tail.rfind("last lines of the guest's console:\n  ", 0) == 0)
      << tail;
  EXPECT_LE(std::count(tail.begin(), tail.end(), '\n'), 16) << tail;
  EXPECT_FALSE(contains(r.err, "\\x0a")) << "newlines of the report are not escaped: " << r.err;
  EXPECT_TRUE(std::none_of(r.err.begin(), r.err.end(), [](char c) { return c == '\x1b'; }));
  // The kept log has an unpredictable name (no one can prepare a link for it) and only root reads it.
  std::smatch m;
  const std::regex kept_re(fs::temp_directory_path().string() + "/bcvk-console-" + vm + "-[A-Za-z0-9]{6}\\.log");
  ASSERT_TRUE(std::regex_search(r.err, m, kept_re)) << "names the console log: " << r.err;
  const std::string kept_log = m[0].str();
  EXPECT_TRUE(contains(slurp(kept_log), "Linux version")) << "the kept console log shows the boot";
  EXPECT_EQ(fs::status(kept_log).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  fs::remove(kept_log);
  expect_nothing_left(vm);
}

// A guest that is stuck (here: dracut's emergency shell, waiting on the console for someone to
// type) is given up on once it has shown no progress for the stall limit, long before the hard
// cap, and the message says it was the silence, not the clock.
TEST_F(Ssh, AStuckGuestIsGivenUpOnWhenItFallsSilentNotAtTheHardCap) {
  const std::string vm = "e2e-stuck";
  // rd.break is dracut's: only the image's own initramfs stops there.
  const auto r = bcvk_within(k_boot_budget_s, {"ephemeral", "run", "-d", "-K", "--rm", "--name", vm, "--memory", "1G",
                                               "--initramfs", "image", "--karg", "rd.break=pre-mount", k_image});
  EXPECT_EQ(r.status, 125);
  const std::string first_line = r.err.substr(0, r.err.find('\n'));
  // The stall limit (180 s emulated, 60 s with KVM) ended it: the silence it reports is at least
  // that long (a busy host may notice a second or two later), and far below the hard cap.
  std::smatch quiet;
  ASSERT_TRUE(std::regex_search(first_line, quiet, std::regex("the guest made no progress for ([0-9]+) s"))) << r.err;
  const int quiet_s = std::stoi(quiet[1].str());
  EXPECT_GE(quiet_s, 60) << r.err;
  EXPECT_LT(quiet_s, 240) << r.err;
  EXPECT_TRUE(contains(first_line, "no new console or journal output")) << r.err;
  EXPECT_FALSE(contains(first_line, "hard cap")) << r.err;
  std::smatch m;
  const std::regex kept_re(fs::temp_directory_path().string() + "/bcvk-console-" + vm + "-[A-Za-z0-9]{6}\\.log");
  if (std::regex_search(r.err, m, kept_re)) {
    EXPECT_TRUE(contains(slurp(m[0].str()), "dracut")) << "the console shows where it stopped";
    fs::remove(m[0].str());
  } else {
    ADD_FAILURE() << "names the console log: " << r.err;
  }
  expect_nothing_left(vm);
}

// QEMU dying under the guest (a crash under TCG, here a SIGSEGV sent to it) is told as a crash of
// the emulator with libvirt's log line, not as a guest that did not come up.
TEST_F(Ssh, AnEmulatorCrashWhileWaitingIsReportedAsACrash) {
  const std::string vm = "e2e-crash";
  Background run({"ephemeral", "run", "-d", "-K", "--rm", "--name", vm, "--memory", "512M", k_image});
  // Once the guest's kernel talks, libvirt has long finished starting it: QEMU dies under a guest.
  const std::string console = state_dir() + "/instances/" + vm + "/console.log";
  ASSERT_TRUE(eventually([&] { return contains(slurp(console), "Linux version"); }, 300s)) << run.err();
  const std::string pid_file = "/run/libvirt/qemu/" + vm + ".pid";
  const pid_t qemu = std::stoi(slurp(pid_file));
  ASSERT_GT(qemu, 1);
  ASSERT_EQ(::kill(qemu, SIGSEGV), 0);
  EXPECT_EQ(run.wait_exit(120s), 125) << run.err();
  const std::string first_line = run.err().substr(0, run.err().find('\n'));
  EXPECT_TRUE(contains(first_line, "QEMU crashed (libvirt's log: ")) << run.err();
  EXPECT_TRUE(contains(first_line, "reason=crashed")) << run.err();
  EXPECT_TRUE(contains(first_line, "before SSH came up on VM " + vm)) << run.err();
  EXPECT_FALSE(contains(first_line, "did not come up")) << run.err();
  std::smatch m;
  const std::string err = run.err();
  const std::regex kept_re(fs::temp_directory_path().string() + "/bcvk-console-" + vm + "-[A-Za-z0-9]{6}\\.log");
  if (std::regex_search(err, m, kept_re)) {
    fs::remove(m[0].str());
  }
  expect_nothing_left(vm);
}

TEST_F(Ssh, VmWithoutKeysIsRefusedWithTheFix) {
  const std::string vm = "e2e-nokeys";
  const auto removed = removed_at_exit({vm});
  ASSERT_EQ(bcvk_cli({"ephemeral", "run", "-d", "--rm", "--name", vm, "--memory", "1G", k_image}).status, 0);
  const auto r = bcvk_cli(ssh_args(vm, {"true"}));
  EXPECT_EQ(r.status, 125);
  EXPECT_TRUE(contains(r.err, "without -K/--ssh-keygen")) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(bcvk_cli({"ephemeral", "rm", "-f", vm}).status, 0);
  expect_nothing_left(vm);
}

// Four detached runs with -K at once, with generated names, and `ps` polled all the while; then two
// runs racing for one name.
TEST_F(Ssh, ConcurrentRunsAllReachSshWithDistinctPortsAndPsStaysConsistent) {
  std::vector<std::unique_ptr<Background>> runs;
  for (int i = 0; i < 4; ++i) {
    runs.push_back(std::make_unique<Background>(
        std::vector<std::string>{"ephemeral", "run", "-d", "-K", "--rm", "--memory", "512M", k_image}));
  }
  // Whatever moment it catches, ps answers with a whole JSON array.
  int polls = 0;
  const auto all_done = [&] {
    return std::all_of(runs.begin(), runs.end(), [](const auto& r) { return r->exited(); });
  };
  while (!all_done() && polls < 2000) {
    const auto ps = bcvk_cli({"ephemeral", "ps", "-a", "--format", "json"});
    EXPECT_EQ(ps.status, 0) << ps.err;
    const auto listed = nlohmann::json::parse(ps.out, nullptr, false);
    EXPECT_TRUE(listed.is_array()) << "a whole JSON array: " << ps.out;
    std::set<std::string> seen;
    for (const auto& vm : listed.is_array() ? listed : nlohmann::json::array()) {
      EXPECT_TRUE(vm.contains("name") && seen.insert(vm.value("name", "")).second) << ps.out;
    }
    ++polls;
  }
  std::vector<std::string> names;
  const auto cleanup = AtScopeExit([&names] {
    for (const auto& name : names) {
      bcvk_cli({"ephemeral", "rm", "-f", name});
    }
    bcvk_cli({"ephemeral", "rm", "-f", "e2e-same"});
  });
  std::vector<int> statuses;
  for (auto& r : runs) {
    // bcvk's own limits end each wait (a stuck guest, or its hard cap); this only guards the suite.
    statuses.push_back(r->wait_exit(1800s));
    if (std::string name = r->out(); !name.empty()) {
      name.pop_back();       // the newline after the printed name
      names.push_back(name); // known before any assertion, so the cleanup finds every VM
    }
  }
  std::set<int> ports;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    ASSERT_EQ(statuses[i], 0) << runs[i]->err();
  }
  ASSERT_EQ(names.size(), 4U);
  for (const auto& name : names) {
    ports.insert(ssh_port_of(name));
  }
  EXPECT_GT(polls, 0);
  EXPECT_EQ(ports.size(), 4U) << "two VMs were given the same forward port";
  EXPECT_EQ(ports.count(0), 0U);
  for (const auto& name : names) {
    EXPECT_EQ(bcvk_within(600, ssh_args(name, {"echo", "up"})).out, "up\n") << name;
  }

  Background first({"ephemeral", "run", "-d", "--rm", "--name", "e2e-same", "--memory", "512M", k_image});
  Background second({"ephemeral", "run", "-d", "--rm", "--name", "e2e-same", "--memory", "512M", k_image});
  const int a = first.wait_exit(300s);
  const int b = second.wait_exit(300s);
  EXPECT_EQ(std::min(a, b), 0) << first.err() << second.err();
  EXPECT_EQ(std::max(a, b), 125) << "exactly one wins: " << first.err() << second.err();
  EXPECT_TRUE(contains(first.err() + second.err(), "already exists")) << first.err() << second.err();

  for (const auto& name : names) {
    EXPECT_EQ(bcvk_cli({"ephemeral", "rm", "-f", name}).status, 0);
  }
  EXPECT_EQ(bcvk_cli({"ephemeral", "rm", "-f", "e2e-same"}).status, 0);
  for (const auto& name : names) {
    expect_nothing_left(name);
  }
  expect_nothing_left("e2e-same");
}
