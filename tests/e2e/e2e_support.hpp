#pragma once
// Helpers for end-to-end tests: run the real bcvk against qemu:///system and look at what a user
// would look at afterwards (virsh, mounts, podman, the state directory).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "bcvk/host/process.hpp"

extern char** environ;

namespace bcvk::e2e {

inline const std::string k_image = "localhost/bcvk-test:latest";
inline const std::string k_broken_image = "localhost/bcvk-test-broken:latest";

// All e2e runs share one state directory, separate from a developer's own VMs.
inline std::string state_dir() {
  return "/var/tmp/bcvk-e2e-state";
}

inline void use_test_environment() {
  ::setenv("BCVK_STATE_DIR", state_dir().c_str(), 1);
  ::setenv("BCVK_CONNECT", "qemu:///system", 1);
  ::setenv("NO_COLOR", "1", 1);
}

inline ProcessResult run(std::vector<std::string> argv) {
  SystemProcessRunner runner;
  return runner.run(argv);
}

inline ProcessResult bcvk_cli(std::vector<std::string> args) {
  args.insert(args.begin(), BCVK_BINARY);
  return run(args);
}

// Runs bcvk with a deadline (a hung guest must fail the test, not stall the suite).
inline ProcessResult bcvk_within(int seconds, std::vector<std::string> args) {
  args.insert(args.begin(), {"timeout", "--signal=TERM", "--kill-after=30", std::to_string(seconds), BCVK_BINARY});
  return run(args);
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The value after "KEY=" at the start of a line of `out` (what the guest probes print).
inline std::string field(const std::string& out, const std::string& key) {
  std::smatch m;
  const std::regex re("(^|\\n)" + key + "=([^\\n]*)");
  return std::regex_search(out, m, re) ? m[2].str() : std::string("<missing " + key + ">");
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A bcvk process running in the background with its output in files.
class Background {
public:
  // `of_bcvk`: the arguments are bcvk's; otherwise args[0] is the program's absolute path.
  explicit Background(std::vector<std::string> args, bool of_bcvk = true) {
    const std::string base = "/var/tmp/bcvk-e2e-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++);
    m_out = base + ".out";
    m_err = base + ".err";
    if (of_bcvk) {
      args.insert(args.begin(), BCVK_BINARY);
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, m_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, m_err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    if (posix_spawn(&m_pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
      m_pid = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Background() {
    if (m_pid > 0 && !m_exited) {
      ::kill(m_pid, SIGKILL);
      wait_exit(std::chrono::seconds(30));
    }
    std::filesystem::remove(m_out);
    std::filesystem::remove(m_err);
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  void signal(int signo) const { ::kill(m_pid, signo); }
  // Exit status (128+N when killed by N), or -1 on timeout.
  int wait_exit(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!exited()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return m_status;
  }
  // Whether it has exited, without waiting.
  bool exited() {
    int status = 0;
    if (!m_exited && ::waitpid(m_pid, &status, WNOHANG) == m_pid) {
      m_exited = true;
      m_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return m_exited;
  }
  std::string out() const { return slurp(m_out); }
  std::string err() const { return slurp(m_err); }

private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  pid_t m_pid = -1;
  bool m_exited = false;
  int m_status = -1;
  std::string m_out;
  std::string m_err;
};

inline bool domain_exists(const std::string& name) {
  return run({"virsh", "-c", "qemu:///system", "dominfo", name}).status == 0;
}

// Polls `predicate` every 200 ms until it holds or `timeout` passes.
template <typename F> bool eventually(F predicate, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return predicate();
}

inline std::string run_podman_mounts() {
  return run({"podman", "image", "mount"}).out;
}

// Runs `action` when the scope ends, however it ends (an ASSERT returns early).
template <typename F> class AtScopeExit {
public:
  explicit AtScopeExit(F action) : m_action(std::move(action)) {}
  AtScopeExit(const AtScopeExit&) = delete;
  AtScopeExit& operator=(const AtScopeExit&) = delete;
  ~AtScopeExit() { m_action(); }

private:
  F m_action;
};

// Removes the named VMs when a test leaves its scope, so a failed assertion that returns early
// still leaves nothing running for the next test.
inline auto removed_at_exit(std::vector<std::string> names) {
  return AtScopeExit([names = std::move(names)] {
    for (const auto& name : names) {
      if (domain_exists(name) || std::filesystem::exists(state_dir() + "/instances/" + name)) {
        bcvk_cli({"ephemeral", "rm", "-f", name});
      }
    }
  });
}

// The loopback SSH forward port `bcvk ephemeral inspect` reports for the VM, or 0 if it reports none.
inline int ssh_port_of(const std::string& name) {
  const auto inspect = bcvk_cli({"ephemeral", "inspect", name});
  std::smatch m;
  return std::regex_search(inspect.out, m, std::regex("\"ssh_port\": ([0-9]+)")) ? std::stoi(m[1].str()) : 0;
}

// The loop devices whose backing file is in the named VM's instance directory (its root file system).
inline int loop_devices_of(const std::string& name) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/sys/block")) {
    const std::string backing = slurp((entry.path() / "loop/backing_file").string());
    count += contains(backing, "/instances/" + name + "/") ? 1 : 0;
  }
  return count;
}

// What a user would check after a VM is gone: no domain, no instance directory, no overlay mount
// of it, no loop device for its root file system, and no podman image mount left behind.
inline void expect_nothing_left(const std::string& name) {
  EXPECT_FALSE(domain_exists(name)) << "domain " << name << " still exists";
  EXPECT_FALSE(std::filesystem::exists(state_dir() + "/instances/" + name)) << "instance dir of " << name;
  const std::string mounts = slurp("/proc/self/mountinfo");
  EXPECT_FALSE(contains(mounts, "/instances/" + name + "/")) << "a mount of " << name << " is left";
  EXPECT_EQ(loop_devices_of(name), 0) << "a loop device of " << name << " is left";
  EXPECT_EQ(run_podman_mounts(), "") << "podman image mounts are left";
  if (std::filesystem::exists(state_dir() + "/boot")) {
    for (const auto& entry : std::filesystem::directory_iterator(state_dir() + "/boot")) {
      EXPECT_FALSE(std::filesystem::exists(entry.path() / "users" / name))
          << name << " is still recorded as a user of " << entry.path();
    }
  }
}

// The KiB an instance directory holds on disk itself (without what is mounted in it), and the
// part of that the guest wrote (its root file system, console and journal logs).
struct DiskUse {
  long total_kib = -1;
  long guest_kib = -1;
};
inline DiskUse instance_disk_use(const std::string& name) {
  const auto du = run({BCVK_SCRIPTS_DIR "/instance-disk-use", state_dir() + "/instances/" + name});
  DiskUse use;
  std::istringstream(du.out) >> use.total_kib >> use.guest_kib;
  return use;
}

} // namespace bcvk::e2e
