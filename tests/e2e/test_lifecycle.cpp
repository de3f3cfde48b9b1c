// Lifecycle paths that do not need the guest to finish booting: errors, signals, crashes of bcvk
// itself, detached VMs as virsh sees them, name collisions, --debug.
#include "../common/child_holding.hpp"
#include "e2e_support.hpp"

using namespace bcvk::e2e;
using namespace std::chrono_literals;

namespace {

class Lifecycle : public ::testing::Test {
protected:
  void SetUp() override { use_test_environment(); }
};

} // namespace

TEST_F(Lifecycle, BrokenImageFailsFastWithOneLineAndLeavesNothing) {
  const auto r = bcvk_cli({"ephemeral", "run", "--rm", "--name", "e2e-broken", k_broken_image});
  EXPECT_EQ(r.status, 125);
  EXPECT_TRUE(contains(r.err, "bcvk: error: image " + k_broken_image + " has no kernel")) << r.err;
  EXPECT_TRUE(contains(r.err, "/usr/lib/modules/<kver>/vmlinuz")) << r.err;
  expect_nothing_left("e2e-broken");
}

TEST_F(Lifecycle, MissingImageIsAClearError) {
  const auto r = bcvk_cli({"ephemeral", "run", "--rm", "--name", "e2e-missing", "localhost/no-such-image:latest"});
  EXPECT_EQ(r.status, 125);
  // A local name that is not there: podman asks localhost for it, and the last line says so.
  EXPECT_TRUE(contains(r.err, "bcvk: error: cannot pull localhost/no-such-image:latest: it is not in local storage, "
                              "and no registry answers on localhost"))
      << r.err;
  EXPECT_EQ(r.err.substr(r.err.rfind("bcvk: error: ")).find('\n'),
            r.err.substr(r.err.rfind("bcvk: error: ")).size() - 1)
      << "the error is the last line: " << r.err;
  expect_nothing_left("e2e-missing");
}

TEST_F(Lifecycle, DebugPrintsTheDomainAndStartsNothing) {
  const auto r = bcvk_cli({"ephemeral", "run", "--debug", "--name", "e2e-debug", "--label", "k=v", k_image});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "<name>e2e-debug</name>"));
  EXPECT_TRUE(contains(r.out, "<bcvk:label key=\"k\">v</bcvk:label>"));
  EXPECT_TRUE(contains(r.err, "instance directory: " + state_dir() + "/instances/e2e-debug"));
  expect_nothing_left("e2e-debug");
}

TEST_F(Lifecycle, DebugEntrypointSeesThePreparedRoot) {
  const auto r =
      bcvk_cli({"ephemeral", "run", "--name", "e2e-entry", "--debug-entrypoint",
                "test -x \"$BCVK_ROOTFS/usr/lib/systemd/systemd\" && grep -c '<domain' \"$BCVK_DOMAIN_XML\" && "
                "touch \"$BCVK_ROOTFS/etc/written-by-entrypoint\" && exit 7",
                k_image});
  EXPECT_EQ(r.status, 7) << r.err;
  EXPECT_EQ(r.out, "1\n");
  expect_nothing_left("e2e-entry");
}

TEST_F(Lifecycle, DetachedVmIsAnOrdinaryLibvirtDomain) {
  const auto r = bcvk_cli({"ephemeral", "run", "-d", "--rm", "--name", "e2e-virsh", "--memory", "1G", "--label",
                           "team=e2e", "--label", "purpose=virsh check", k_image});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "e2e-virsh\n");

  const auto list = run({"virsh", "-c", "qemu:///system", "list", "--title"});
  EXPECT_TRUE(contains(list.out, "e2e-virsh")) << list.out;
  EXPECT_TRUE(contains(list.out, "bcvk: " + k_image)) << list.out;

  const auto xml = run({"virsh", "-c", "qemu:///system", "dumpxml", "e2e-virsh"});
  EXPECT_TRUE(contains(xml.out, "<bcvk:image>" + k_image + "</bcvk:image>")) << xml.out;
  EXPECT_TRUE(contains(xml.out, "<bcvk:created>"));
  EXPECT_TRUE(contains(xml.out, "<bcvk:label key=\"team\">e2e</bcvk:label>"));
  EXPECT_TRUE(contains(xml.out, "<bcvk:label key=\"purpose\">virsh check</bcvk:label>"));

  const auto ps = bcvk_cli({"ephemeral", "ps", "--format", "json", "--filter", "label=team=e2e"});
  EXPECT_TRUE(contains(ps.out, "\"name\": \"e2e-virsh\"")) << ps.out;
  EXPECT_TRUE(contains(ps.out, "\"status\": \"running\""));
  const auto other = bcvk_cli({"ephemeral", "ps", "--format", "json", "--filter", "label=team=other"});
  EXPECT_EQ(other.out, "[]\n");
  // The domain carries the UUID bcvk recorded for it: the identity every later command checks.
  const auto uuid = run({"virsh", "-c", "qemu:///system", "domuuid", "e2e-virsh"});
  const auto inspect = bcvk_cli({"ephemeral", "inspect", "e2e-virsh"});
  EXPECT_TRUE(contains(inspect.out, "\"domain_uuid\": \"" + uuid.out.substr(0, uuid.out.find('\n')) + "\""))
      << inspect.out << uuid.out;
  EXPECT_EQ(uuid.out.find('\n'), 36U) << uuid.out;

  // virsh console attaches to the same serial console bcvk logs.
  // virsh console wants a terminal: give it one with script(1).
  const auto console =
      run({"timeout", "5", "script", "-qec", "virsh -c qemu:///system console --force e2e-virsh", "/dev/null"});
  EXPECT_TRUE(contains(console.out, "Connected to domain")) << console.out << console.err;

  // QEMU read its boot files as its own user; another local user cannot even reach them, not even
  // one in QEMU's group.
  const std::string initramfs = state_dir() + "/instances/e2e-virsh/boot/initramfs.img";
  const std::string qemu_gid = run({"id", "-g", "libvirt-qemu"}).out;
  const std::string qemu_group = "--regid=" + qemu_gid.substr(0, qemu_gid.find('\n'));
  for (const std::string& group : {std::string("--regid=65534"), qemu_group}) {
    const auto peek = run({"setpriv", "--reuid=65534", group, "--clear-groups", "head", "-c1", initramfs});
    EXPECT_NE(peek.status, 0) << "another user read the initramfs with " << group;
    EXPECT_TRUE(contains(peek.err, "Permission denied")) << group << ": " << peek.err;
  }
  // A process holding a boot file open (any user could, before) neither holds up the stop nor keeps
  // anything: the read-only mounts are detached whole.
  const bcvk::test_support::ChildHolding holder(initramfs);
  ASSERT_GT(holder.pid(), 0);
  const auto stop = bcvk_cli({"ephemeral", "stop", "--force", "e2e-virsh"});
  EXPECT_EQ(stop.status, 0) << stop.err;
  expect_nothing_left("e2e-virsh");
}

TEST_F(Lifecycle, NameCollisionsAreRefused) {
  ASSERT_EQ(bcvk_cli({"ephemeral", "run", "-d", "--rm", "--name", "e2e-dup", "--memory", "512M", k_image}).status, 0);
  const auto again = bcvk_cli({"ephemeral", "run", "-d", "--name", "e2e-dup", k_image});
  EXPECT_EQ(again.status, 125);
  EXPECT_TRUE(contains(again.err, "already exists")) << again.err;
  EXPECT_TRUE(domain_exists("e2e-dup")) << "the refused run must not touch the existing VM";
  EXPECT_EQ(bcvk_cli({"ephemeral", "rm", "-f", "e2e-dup"}).status, 0);
  expect_nothing_left("e2e-dup");
}

TEST_F(Lifecycle, SigintPowersOffAndRemovesAnRmVm) {
  Background run({"ephemeral", "run", "--rm", "--name", "e2e-sigint", "--memory", "512M", k_image});
  ASSERT_TRUE(eventually([] { return domain_exists("e2e-sigint"); }, 60s)) << run.err();
  run.signal(SIGINT);
  EXPECT_EQ(run.wait_exit(60s), 128 + SIGINT) << run.err();
  EXPECT_TRUE(contains(run.err(), "interrupted by")) << run.err();
  expect_nothing_left("e2e-sigint");
}

TEST_F(Lifecycle, SigtermPowersOffAndKeepsAVmWithoutRm) {
  Background run({"ephemeral", "run", "--name", "e2e-sigterm", "--memory", "512M", k_image});
  ASSERT_TRUE(eventually([] { return domain_exists("e2e-sigterm"); }, 60s)) << run.err();
  run.signal(SIGTERM);
  EXPECT_EQ(run.wait_exit(60s), 128 + SIGTERM) << run.err();
  EXPECT_FALSE(domain_exists("e2e-sigterm"));
  // Like a container without --rm: stopped and kept, holding no mounts.
  const auto ps = bcvk_cli({"ephemeral", "ps", "-a", "--format", "json"});
  EXPECT_TRUE(contains(ps.out, "\"status\": \"stopped\"")) << ps.out;
  EXPECT_FALSE(contains(slurp("/proc/self/mountinfo"), "/instances/e2e-sigterm/"));
  EXPECT_EQ(run_podman_mounts(), "");
  EXPECT_EQ(bcvk_cli({"ephemeral", "rm", "e2e-sigterm"}).status, 0);
  expect_nothing_left("e2e-sigterm");
}

TEST_F(Lifecycle, KilledForegroundBcvkIsCleanedUpByTheNextCommand) {
  {
    Background run({"ephemeral", "run", "--rm", "--name", "e2e-killed", "--memory", "512M", k_image});
    ASSERT_TRUE(eventually([&] { return domain_exists("e2e-killed"); }, 60s)) << run.err();
    run.signal(SIGKILL);
    EXPECT_EQ(run.wait_exit(30s), 128 + SIGKILL);
  }
  // libvirt destroys an autodestroy domain when its connection goes away.
  EXPECT_TRUE(eventually([] { return !domain_exists("e2e-killed"); }, 30s));
  EXPECT_TRUE(std::filesystem::exists(state_dir() + "/instances/e2e-killed")) << "left for recovery";
  const auto ps = bcvk_cli({"ephemeral", "ps", "-a"});
  EXPECT_EQ(ps.status, 0) << ps.err;
  EXPECT_FALSE(contains(ps.out, "e2e-killed")) << ps.out;
  expect_nothing_left("e2e-killed");
}

TEST_F(Lifecycle, KilledSupervisorIsReplacedAndStillCleansUp) {
  ASSERT_EQ(bcvk_cli({"ephemeral", "run", "-d", "--rm", "--name", "e2e-orphan", "--memory", "512M", k_image}).status,
            0);
  run({"pkill", "-KILL", "-f", "ephemeral supervise e2e-orphan"});
  // pkill returns once the signal is sent; the supervisor's lock on the instance goes only when the
  // process is gone, and until then the instance still has its owner.
  ASSERT_TRUE(eventually([] { return run({"pgrep", "-f", "ephemeral supervise e2e-orphan"}).status != 0; }, 10s));
  const auto ps = bcvk_cli({"ephemeral", "ps"});
  EXPECT_TRUE(contains(ps.out, "e2e-orphan")) << "a running VM survives the loss of its supervisor";
  EXPECT_TRUE(eventually([] { return run({"pgrep", "-f", "ephemeral supervise e2e-orphan"}).status == 0; }, 10s));
  EXPECT_EQ(bcvk_cli({"ephemeral", "stop", "-f", "e2e-orphan"}).status, 0);
  expect_nothing_left("e2e-orphan");
}

// kill -9 of a foreground run at each stage, then any bcvk command: nothing is left behind.
TEST_F(Lifecycle, KilledAtEveryStageOfARunLeavesNothingAfterTheNextCommand) {
  for (const std::string stage : {"image-mounted", "root-mounted", "domain-created"}) {
    const std::string vm = "e2e-fault-" + stage.substr(0, stage.find('-'));
    ::setenv("BCVK_TEST_STOP_AT", stage.c_str(), 1);
    Background killed({"ephemeral", "run", "--rm", "--name", vm, "--memory", "512M", k_image});
    ::unsetenv("BCVK_TEST_STOP_AT");
    ASSERT_TRUE(eventually([&] { return contains(killed.err(), "bcvk: stopped at " + stage); }, 120s)) << killed.err();
    // What the stage holds when bcvk dies there.
    EXPECT_NE(run_podman_mounts(), "") << stage << ": the image is mounted";
    if (stage != "image-mounted") {
      EXPECT_TRUE(contains(slurp("/proc/self/mountinfo"), "/instances/" + vm + "/"))
          << stage << ": the root is mounted";
    }
    if (stage == "domain-created") {
      EXPECT_TRUE(domain_exists(vm)) << stage << ": the domain runs";
    }
    killed.signal(SIGKILL);
    EXPECT_EQ(killed.wait_exit(30s), 128 + SIGKILL) << stage;
    // A foreground VM is tied to bcvk's connection: libvirt destroys it when the killed process's
    // connection goes away.
    EXPECT_TRUE(eventually([&] { return !domain_exists(vm); }, 30s)) << stage;
    const auto ps = bcvk_cli({"ephemeral", "ps", "-a"});
    EXPECT_EQ(ps.status, 0) << ps.err;
    EXPECT_FALSE(contains(ps.out, vm)) << stage << ": " << ps.out;
    expect_nothing_left(vm);
  }
  // Detached, killed while waiting for SSH: the VM runs on, so the next command gives it a
  // supervisor instead of releasing anything; stopping it then releases everything.
  const std::string vm = "e2e-fault-ssh";
  ::setenv("BCVK_TEST_STOP_AT", "waiting-for-ssh", 1);
  Background killed({"ephemeral", "run", "-d", "-K", "--rm", "--name", vm, "--memory", "512M", k_image});
  ::unsetenv("BCVK_TEST_STOP_AT");
  ASSERT_TRUE(eventually([&] { return contains(killed.err(), "bcvk: stopped at waiting-for-ssh"); }, 120s))
      << killed.err();
  killed.signal(SIGKILL);
  EXPECT_EQ(killed.wait_exit(30s), 128 + SIGKILL);
  const auto ps = bcvk_cli({"ephemeral", "ps"});
  EXPECT_TRUE(contains(ps.out, vm)) << "the running VM is adopted: " << ps.out << ps.err;
  EXPECT_TRUE(eventually([&] { return run({"pgrep", "-f", "ephemeral supervise " + vm}).status == 0; }, 10s));
  EXPECT_EQ(bcvk_cli({"ephemeral", "stop", "-f", vm}).status, 0);
  expect_nothing_left(vm);
}

// libvirtd stopped for 10 s and started again under two running VMs: the detached one stays
// supervised and usable; the foreground run ends with one line and leaves its VM to recovery. No
// storage is released while a VM may run.
// kill -9 between each two steps of a release (here the one after --debug-entrypoint, which holds
// everything a VM holds but boots nothing), then the next command: it finishes the job, whether
// that command is `rm NAME` or any other (its crash recovery), and nothing of the VM is left.
TEST_F(Lifecycle, KilledBetweenAnyTwoStepsOfAReleaseTheNextCommandFinishesIt) {
  const std::vector<std::string> steps{"release-started", "release-unmounted", "release-image-released",
                                       "release-boot-files-left", "release-renamed"};
  int n = 0;
  for (const std::string& step : steps) {
    for (const bool by_rm : {true, false}) {
      const std::string vm = "e2e-release-" + std::to_string(n++);
      ::setenv("BCVK_TEST_STOP_AT", step.c_str(), 1);
      Background killed({"ephemeral", "run", "--rm", "--name", vm, "--debug-entrypoint", "true", k_image});
      ::unsetenv("BCVK_TEST_STOP_AT");
      ASSERT_TRUE(eventually([&] { return contains(killed.err(), "bcvk: stopped at " + step); }, 120s)) << killed.err();
      // Until the very last step the record is there: the directory goes last.
      EXPECT_EQ(std::filesystem::exists(state_dir() + "/instances/" + vm), step != "release-renamed") << step;
      killed.signal(SIGKILL);
      EXPECT_EQ(killed.wait_exit(30s), 128 + SIGKILL) << step;
      if (by_rm && step != "release-renamed") {
        const auto rm = bcvk_cli({"ephemeral", "rm", vm});
        EXPECT_EQ(rm.status, 0) << step << ": " << rm.err;
        EXPECT_EQ(rm.out, vm + "\n") << step;
      } else {
        const auto ps = bcvk_cli({"ephemeral", "ps", "-a"});
        EXPECT_EQ(ps.status, 0) << step << ": " << ps.err;
        EXPECT_FALSE(contains(ps.out, vm)) << step << ": " << ps.out;
      }
      expect_nothing_left(vm);
      for (const auto& entry : std::filesystem::directory_iterator(state_dir() + "/instances")) {
        EXPECT_FALSE(contains(entry.path().filename().string(), vm)) << step << ": " << entry.path() << " is left";
      }
    }
  }
}

TEST_F(Lifecycle, VmsOutliveALibvirtdRestartAndAreStillCleanedUp) {
  const std::string detached = "e2e-restart-d";
  const std::string foreground = "e2e-restart-f";
  const auto removed = removed_at_exit({detached, foreground});
  const auto libvirtd_running = [] { return run({"pgrep", "-x", "libvirtd"}).status == 0; };
  const auto restart_libvirtd = AtScopeExit([&] {
    if (!libvirtd_running()) {
      run({"libvirtd", "-d"});
    }
    eventually([] { return run({"virsh", "-c", "qemu:///system", "version"}).status == 0; }, 60s);
  });
  ASSERT_EQ(
      bcvk_within(600, {"ephemeral", "run", "-d", "-K", "--rm", "--name", detached, "--memory", "1G", k_image}).status,
      0);
  const std::string supervisor = run({"pgrep", "-f", "ephemeral supervise " + detached}).out;
  ASSERT_FALSE(supervisor.empty());
  Background held({"ephemeral", "run", "--rm", "--name", foreground, "--memory", "512M", k_image});
  // Running for bcvk too (libvirt lists a domain before its creation call returns).
  ASSERT_TRUE(eventually(
      [&] {
        return contains(slurp(state_dir() + "/instances/" + foreground + "/state.json"), "\"phase\": \"running\"");
      },
      120s))
      << held.err();

  run({"pkill", "-TERM", "-x", "libvirtd"});
  ASSERT_TRUE(eventually([&] { return !libvirtd_running(); }, 60s));
  std::this_thread::sleep_for(10s);
  const std::string mounts = slurp("/proc/self/mountinfo");
  EXPECT_TRUE(contains(mounts, "/instances/" + detached + "/")) << "the detached VM's root stays mounted";
  EXPECT_EQ(run({"pgrep", "-f", "ephemeral supervise " + detached}).out, supervisor) << "its supervisor waits";
  EXPECT_EQ(held.wait_exit(60s), 125) << held.err();
  const std::string held_err = held.err();
  EXPECT_TRUE(contains(held_err, "lost the connection to libvirt while VM " + foreground + " ran")) << held_err;
  EXPECT_EQ(std::count(held_err.begin(), held_err.end(), '\n'), 1) << held_err;
  EXPECT_TRUE(contains(slurp("/proc/self/mountinfo"), "/instances/" + foreground + "/"))
      << "the foreground VM's root is kept while libvirt cannot say whether it runs";

  ASSERT_EQ(run({"libvirtd", "-d"}).status, 0);
  ASSERT_TRUE(eventually([] { return run({"virsh", "-c", "qemu:///system", "version"}).status == 0; }, 60s));
  const auto ps = bcvk_cli({"ephemeral", "ps"});
  EXPECT_TRUE(contains(ps.out, detached)) << ps.out << ps.err;
  const auto ssh = bcvk_within(120, {"ephemeral", "ssh", detached, "--", "echo still-here"});
  EXPECT_EQ(ssh.out, "still-here\n") << ssh.err;
  EXPECT_EQ(run({"pgrep", "-f", "ephemeral supervise " + detached}).out, supervisor)
      << "the same supervisor reconnected";
  // Following its journal ends on Ctrl-C with 130, like any interrupted command.
  Background follow({"ephemeral", "logs", "-f", detached});
  ASSERT_TRUE(eventually([&] { return !follow.out().empty(); }, 30s)) << follow.err();
  follow.signal(SIGINT);
  EXPECT_EQ(follow.wait_exit(30s), 130) << follow.err();
  // The foreground VM: released by recovery if libvirt's shutdown took it down, else adopted.
  if (domain_exists(foreground)) {
    EXPECT_EQ(bcvk_cli({"ephemeral", "stop", "-f", foreground}).status, 0);
  }
  EXPECT_EQ(bcvk_cli({"ephemeral", "stop", "-f", detached}).status, 0);
  bcvk_cli({"ephemeral", "ps", "-a"});
  expect_nothing_left(foreground);
  expect_nothing_left(detached);
}

TEST_F(Lifecycle, LibvirtRefusalLeavesNothing) {
  const auto r = bcvk_cli({"ephemeral", "run", "--rm", "--name", "e2e-refused", "--network", "bridge=nosuchbr0",
                           "--memory", "512M", k_image});
  EXPECT_EQ(r.status, 125);
  EXPECT_TRUE(contains(r.err, "bcvk: error: libvirt refused to start the VM")) << r.err;
  expect_nothing_left("e2e-refused");
}

// An image whose config names an architecture bcvk has no machine for would be handed to a QEMU
// that cannot run its kernel. It is refused before anything is made, whatever the image holds; so
// is the host's own image when --arch asked for another.
TEST_F(Lifecycle, AnImageOfAnArchitectureWithoutAMachineIsRefusedBeforeAnythingIsMade) {
  const std::string foreign = "localhost/bcvk-test-foreign-arch:latest";
  const std::string tar = "/var/tmp/bcvk-e2e-foreign-arch-" + std::to_string(::getpid()) + ".tar";
  ASSERT_EQ(run({"tar", "-C", "/etc", "-cf", tar, "hostname"}).status, 0);
  const auto import =
      run({"podman", "import", "--quiet", "--arch", "s390x", "--change", "LABEL containers.bootc=1", tar, foreign});
  std::filesystem::remove(tar);
  ASSERT_EQ(import.status, 0) << import.err;
  const AtScopeExit untag([&foreign] { run({"podman", "rmi", "-f", foreign}); });

  const auto r = bcvk_cli({"ephemeral", "run", "--rm", "--name", "e2e-foreign", foreign});
  EXPECT_EQ(r.status, 125);
  EXPECT_TRUE(
      contains(r.err, "bcvk: error: IMAGE: " + foreign + " is an s390x image: bcvk boots amd64 and arm64 images only"))
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
  expect_nothing_left("e2e-foreign");

  const auto asked =
      bcvk_cli({"ephemeral", "run-ssh", "--arch", "aarch64", "--pull=never", "--name", "e2e-asked", k_image, "true"});
  EXPECT_EQ(asked.status, 125);
  EXPECT_TRUE(
      contains(asked.err, "bcvk: error: IMAGE: " + k_image + " is an amd64 image, not the arm64 that --arch asked for"))
      << asked.err;
  expect_nothing_left("e2e-asked");
  const auto same = bcvk_cli({"ephemeral", "run", "--debug", "--arch", "x86_64", "--name", "e2e-same", k_image});
  EXPECT_EQ(same.status, 0) << "the host's own architecture under its kernel name: " << same.err;
}

// `run -d` returns as soon as the domain runs; a stop right then reaches a guest that cannot act on
// a power-button press yet (firmware, early kernel, no logind). The press is repeated, so the
// guest still powers off by itself once it can, not by force at the timeout.
TEST_F(Lifecycle, AStopRightAfterTheStartShutsTheGuestDownCleanly) {
  const std::string vm = "e2e-early-stop";
  const auto removed = removed_at_exit({vm});
  const auto started = bcvk_within(600, {"ephemeral", "run", "-d", "--name", vm, "--memory", "1G", k_image});
  ASSERT_EQ(started.status, 0) << started.err;
  const auto stopped = bcvk_within(600, {"ephemeral", "stop", "--timeout", "300", vm});
  EXPECT_EQ(stopped.status, 0) << stopped.err;
  EXPECT_FALSE(contains(stopped.err, "powering it off")) << stopped.err;
  EXPECT_TRUE(contains(bcvk_cli({"ephemeral", "logs", vm}).out, "Power key pressed"))
      << "logind saw a press and powered the guest off";
  EXPECT_EQ(bcvk_cli({"ephemeral", "rm", vm}).status, 0);
  expect_nothing_left(vm);
}
