#pragma once
// A child process that keeps a path open (as its descriptor 3) until destroyed: what virtiofsd or
// QEMU does with an instance's files while a VM runs.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace bcvk::test_support {

class ChildHolding {
public:
  explicit ChildHolding(const std::string& path) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 3, path.c_str(), O_RDONLY, 0);
    char sleep_path[] = "/bin/sleep";
    char seconds[] = "600";
    char* argv[] = {sleep_path, seconds, nullptr};
    char* envp[] = {nullptr};
    if (posix_spawn(&m_pid, sleep_path, &actions, nullptr, argv, envp) != 0) {
      m_pid = -1;
    }
    posix_spawn_file_actions_destroy(&actions); // posix_spawn returns after the open and the exec
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
  pid_t m_pid = -1;
};

} // namespace bcvk::test_support
