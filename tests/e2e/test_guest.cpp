// Booting the test image for real and checking, from inside the guest, what a user would check.
// Each boot costs a minute or more under software emulation, so each boot checks several things.
#include <sys/statvfs.h>

#include <nlohmann/json.hpp>

#include "e2e_support.hpp"

using namespace bcvk::e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A guard for the suite only, above bcvk's own hard cap for an emulated guest (900 s): bcvk's
// limits, which follow the guest's progress, are what end a slow boot.
constexpr int k_boot_budget_s = 1200;

class Guest : public ::testing::Test {
protected:
  void SetUp() override { use_test_environment(); }
};

long mem_total_kib(const std::string& out) {
  return std::stol("0" + field(out, "MEM"));
}

std::uint64_t free_bytes(const std::string& path) {
  struct statvfs sv {};
  EXPECT_EQ(::statvfs(path.c_str(), &sv), 0) << path;
  return static_cast<std::uint64_t>(sv.f_bavail) * sv.f_frsize;
}

constexpr std::uint64_t k_mib = 1024ULL * 1024;

} // namespace

TEST_F(Guest, ExecuteSeesTheRequestedMachineAndReportsStatus) {
  const std::string probe = "echo CPUS=$(nproc); "
                            "echo MEM=$(awk '/MemTotal/ {print $2}' /proc/meminfo); "
                            "echo ROOTFS=$(findmnt -n -o FSTYPE /); "
                            "echo CMDLINE=$(cat /proc/cmdline); "
                            "echo written > /etc/bcvk-e2e-write && echo WRITABLE=$(cat /etc/bcvk-e2e-write); "
                            "echo GREETING=\"$GREETING\"; "
                            "echo MANAGER_ENV=$(systemctl show-environment | grep -c '^GREETING='); "
                            "printf 'QUOTED=%s\\n' \"it's a \\\"test\\\" — ✓\"; "
                            "head -c 3M /dev/urandom > /tmp/big; echo BIG=$(base64 -w0 /tmp/big); "
                            "echo BIGSUM=$(sha256sum < /tmp/big | cut -d' ' -f1); "
                            "echo to-stderr >&2";
  const auto r =
      bcvk_within(k_boot_budget_s, {"ephemeral", "run", "--rm", "--name", "e2e-exec", "--itype", "u1.micro", "--karg",
                                    "foo=bar", "-e", "GREETING=héllo \"wörld\" & more", "--execute", probe, "--execute",
                                    "exit 3", "--execute", "echo never", k_image});
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_EQ(field(r.out, "CPUS"), "1") << r.out;
  const long mem = mem_total_kib(r.out);
  EXPECT_GT(mem, 1024L * 1024 * 9 / 10) << "u1.micro is 1 GiB";
  EXPECT_LE(mem, 1024L * 1024) << "u1.micro is 1 GiB";
  EXPECT_EQ(field(r.out, "ROOTFS"), "virtiofs");
  EXPECT_TRUE(contains(field(r.out, "CMDLINE"), " foo=bar")) << r.out;
  EXPECT_TRUE(contains(field(r.out, "CMDLINE"), "root=rootfs")) << r.out;
  EXPECT_EQ(field(r.out, "WRITABLE"), "written");
  EXPECT_EQ(field(r.out, "GREETING"), "héllo \"wörld\" & more");
  EXPECT_EQ(field(r.out, "MANAGER_ENV"), "1") << "-e reaches the service manager too";
  EXPECT_FALSE(contains(field(r.out, "CMDLINE"), "GREETING")) << "-e values stay off the kernel command line";
  EXPECT_EQ(field(r.out, "QUOTED"), "it's a \"test\" — ✓");
  EXPECT_TRUE(contains(r.err, "to-stderr")) << "stderr goes to stderr: " << r.err;
  EXPECT_FALSE(contains(r.out, "to-stderr"));
  EXPECT_FALSE(contains(r.out, "never")) << "commands after a failing one do not run";
  // 4 MiB of output: more than virtlogd keeps in one file (2 MiB), so it is rotated on the way.
  // (Found by hand: std::regex recurses per character and would overflow the stack on 4 MiB.)
  const auto at = r.out.find("\nBIG=");
  ASSERT_NE(at, std::string::npos) << r.err;
  const std::string b64 = r.out.substr(at + 5, r.out.find('\n', at + 5) - (at + 5));
  const std::string big = "/var/tmp/bcvk-e2e-big.b64";
  std::ofstream(big) << b64;
  const auto sum = run({"sh", "-c", "base64 -d " + big + " | sha256sum | cut -d' ' -f1"});
  fs::remove(big);
  EXPECT_EQ(sum.out, field(r.out, "BIGSUM") + "\n") << "every byte arrived once, in order";
  EXPECT_EQ(b64.size(), 4U * 1024 * 1024);
  expect_nothing_left("e2e-exec");
}

TEST_F(Guest, KeptVmKeepsItsChangesAndTheImageStaysClean) {
  // The guest also writes until its root is full: it gets ENOSPC at --root-size, keeps 200 MiB
  // of that, and the host gives no more than the size.
  const std::string write = "echo CPUS=$(nproc); echo MEM=$(awk '/MemTotal/ {print $2}' /proc/meminfo); "
                            "echo BEFORE=$(cat /var/lib/bcvk-e2e 2>/dev/null || echo first-boot); "
                            "echo persisted > /var/lib/bcvk-e2e; echo leaked > /etc/bcvk-e2e-kept; "
                            "echo FILL=$(dd if=/dev/zero of=/var/fill bs=1M count=400 2>&1 | "
                            "grep -o 'No space left on device'); sync; "
                            "echo ROOT_MB=$(df -B1M --output=size / | tail -1 | tr -d ' '); "
                            "truncate -s 200M /var/fill; sync";
  const std::uint64_t free_before = free_bytes(state_dir());
  const auto first = bcvk_within(k_boot_budget_s, {"ephemeral", "run", "--name", "e2e-keep", "--memory", "1536M",
                                                   "--vcpus", "2", "--root-size", "256M", "--execute", write, k_image});
  ASSERT_EQ(first.status, 0) << "the guest filled its root and still shut down cleanly: " << first.err;
  EXPECT_EQ(field(first.out, "FILL"), "No space left on device") << first.out;
  const int root_mb = std::stoi("0" + field(first.out, "ROOT_MB"));
  EXPECT_GT(root_mb, 200) << "the guest's df / shows its own size: " << first.out;
  EXPECT_LE(root_mb, 256) << "the guest's df / shows its own size: " << first.out;
  const std::uint64_t free_after = free_bytes(state_dir());
  EXPECT_LE(free_before - std::min(free_before, free_after), (256 + 64) * k_mib)
      << "the host's free space fell by at most the size and a margin for logs";
  EXPECT_EQ(field(first.out, "CPUS"), "2");
  const long mem = mem_total_kib(first.out);
  EXPECT_GT(mem, 1536L * 1024 * 9 / 10);
  EXPECT_LE(mem, 1536L * 1024);
  EXPECT_EQ(field(first.out, "BEFORE"), "first-boot");

  // Stopped and kept: the change is in the instance's own file system, nothing is mounted.
  const std::string dir = state_dir() + "/instances/e2e-keep";
  EXPECT_FALSE(fs::exists(dir + "/overlay/upper")) << "the guest's writes are not in the state directory itself";
  // Only root may look into the guest's files from the host.
  EXPECT_EQ(fs::status(dir + "/overlay").permissions() & fs::perms::all, fs::perms::owner_all);
  for (const char* file : {"/state.json", "/root.img"}) {
    EXPECT_EQ(fs::status(dir + file).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write)
        << file;
  }
  const auto listed = bcvk_cli({"ephemeral", "ps", "-a", "--size"});
  EXPECT_TRUE(contains(listed.out, "stopped"));
  EXPECT_TRUE(contains(listed.out, "(limit 256 MiB)")) << listed.out;
  const auto inspected = nlohmann::json::parse(bcvk_cli({"ephemeral", "inspect", "e2e-keep"}).out);
  EXPECT_EQ(inspected["root_size_bytes"], 256 * k_mib);
  const std::uint64_t used = inspected["size"]["written_bytes"];
  EXPECT_EQ(inspected["root_used_bytes"], used) << "the older member stays";
  EXPECT_GE(used, 200 * k_mib) << "ps shows what the guest's writes take";
  EXPECT_LE(used, 256 * k_mib);
  EXPECT_FALSE(contains(slurp("/proc/self/mountinfo"), "/instances/e2e-keep/"));
  EXPECT_EQ(loop_devices_of("e2e-keep"), 0) << "a stopped VM holds no loop device";
  EXPECT_EQ(run_podman_mounts(), "");

  // Started again, it boots without running the --execute commands anew: the guest sees the mark
  // its first boot wrote, so the unit is skipped and the VM stays up until stopped.
  const auto start = bcvk_cli({"ephemeral", "start", "e2e-keep"});
  ASSERT_EQ(start.status, 0) << start.err;
  EXPECT_TRUE(domain_exists("e2e-keep"));
  EXPECT_TRUE(eventually(
      [] {
        return contains(bcvk_cli({"ephemeral", "logs", "e2e-keep"}).out,
                        "bcvk-execute.service - bcvk --execute commands was skipped");
      },
      std::chrono::seconds(k_boot_budget_s)));
  std::this_thread::sleep_for(5s);
  EXPECT_EQ(run({"virsh", "-c", "qemu:///system", "domstate", "e2e-keep"}).out, "running\n\n")
      << "no second run powered it off";
  EXPECT_EQ(bcvk_cli({"ephemeral", "stop", "-f", "e2e-keep"}).status, 0);
  EXPECT_TRUE(contains(bcvk_cli({"ephemeral", "ps", "-a"}).out, "stopped"));

  // A fresh VM of the same image sees none of it (and, with --network none, has no network device).
  const auto fresh =
      bcvk_within(k_boot_budget_s, {"ephemeral", "run", "--rm", "--memory", "1G", "--network", "none", "--execute",
                                    "echo KEPT=$(cat /etc/bcvk-e2e-kept 2>/dev/null || echo absent); "
                                    "echo NICS=$(ls /sys/class/net | tr '\\n' ' ')",
                                    k_image});
  EXPECT_EQ(fresh.status, 0) << fresh.err;
  EXPECT_EQ(field(fresh.out, "KEPT"), "absent");
  EXPECT_EQ(field(fresh.out, "NICS"), "lo");

  EXPECT_EQ(bcvk_cli({"ephemeral", "rm", "e2e-keep"}).status, 0);
  expect_nothing_left("e2e-keep");
}

TEST_F(Guest, PoweroffTargetEndsAForegroundRunWithStatusZero) {
  const auto r = bcvk_within(k_boot_budget_s, {"ephemeral", "run", "--rm", "--name", "e2e-poweroff", "--memory", "1G",
                                               "--karg", "systemd.unit=poweroff.target", k_image});
  EXPECT_EQ(r.status, 0) << r.err;
  expect_nothing_left("e2e-poweroff");
}

TEST_F(Guest, InteractiveConsoleWorksInATerminal) {
  const std::string session = "bcvk-e2e-tty";
  const auto capture = [&] { return run({"tmux", "capture-pane", "-p", "-S", "-200", "-t", session}).out; };
  run({"tmux", "kill-session", "-t", session});
  const auto removed = removed_at_exit({"e2e-tty"});
  const AtScopeExit tmux_killed([&] { run({"tmux", "kill-session", "-t", session}); });
  // The trailing sleep keeps the pane, and with it the exit status, readable after bcvk ends.
  const std::string cmd = std::string("BCVK_STATE_DIR=") + state_dir() + " " + BCVK_BINARY +
                          " ephemeral run --rm -t -i --name e2e-tty --memory 1G " + k_image +
                          "; echo EXIT=$?; sleep 600";
  ASSERT_EQ(run({"tmux", "new-session", "-d", "-x", "200", "-y", "50", "-s", session, cmd}).status, 0);
  ASSERT_TRUE(eventually([&] { return contains(capture(), "login:"); }, std::chrono::seconds(k_boot_budget_s)))
      << capture();
  run({"tmux", "send-keys", "-t", session, "root", "Enter"});
  ASSERT_TRUE(eventually([&] { return contains(capture(), "root@"); }, 60s)) << capture();
  run({"tmux", "send-keys", "-t", session, "echo answer-$((6*7))", "Enter"});
  EXPECT_TRUE(eventually([&] { return contains(capture(), "answer-42"); }, 30s)) << capture();
  run({"tmux", "send-keys", "-t", session, "poweroff", "Enter"});
  EXPECT_TRUE(eventually([&] { return contains(capture(), "EXIT=0"); }, 180s)) << capture();
  run({"tmux", "kill-session", "-t", session});
  expect_nothing_left("e2e-tty");
}
