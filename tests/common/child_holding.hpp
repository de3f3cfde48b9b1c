#pragma once
// A child process that keeps a path open (as its descriptor 3) until destroyed, as QEMU does with
// an instance's disks while a VM runs; by default it sleeps, or it runs the given program.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

namespace bcvk::test_support {

class ChildHolding {
public:
  explicit ChildHolding(const std::string& path, std::vector<std::string> argv = {"/bin/sleep", "600"}) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (!path.empty()) {
      posix_spawn_file_actions_addopen(&actions, 3, path.c_str(), O_RDONLY, 0);
    }
    std::vector<char*> args;
    for (auto& arg : argv) {
      args.push_back(arg.data());
    }
    args.push_back(nullptr);
    char* envp[] = {nullptr};
    if (posix_spawn(&m_pid, args[0], &actions, nullptr, args.data(), envp) != 0) {
      m_pid = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
    // posix_spawn returns once the exec has begun, a moment before the kernel names the child
    // after its new program (/proc/PID/comm): wait for that, so a test reads the program's name.
    std::string comm;
    for (int i = 0; i < 500 && m_pid > 0 && comm != program_name(args[0]); ++i) {
      std::ifstream in("/proc/" + std::to_string(m_pid) + "/comm");
      std::getline(in, comm);
      if (comm != program_name(args[0])) {
        ::usleep(10'000);
      }
    }
  }
  ~ChildHolding() { end(); }
  ChildHolding(const ChildHolding&) = delete;
  ChildHolding& operator=(const ChildHolding&) = delete;

  pid_t pid() const { return m_pid; }
  void end() {
    if (m_pid > 0) {
      ::kill(m_pid, SIGKILL);
      ::waitpid(m_pid, nullptr, 0);
      m_pid = -1;
    }
  }

private:
  static std::string program_name(const char* path) {
    const std::string p = path;
    return p.substr(p.rfind('/') + 1).substr(0, 15); // comm holds at most 15 characters
  }
  pid_t m_pid = -1;
};

} // namespace bcvk::test_support
