#pragma once
// Running host programs (podman, qemu-img, a --debug-entrypoint command).
#include <map>
#include <string>
#include <vector>

#include "bcvk/util/handle.hpp"

namespace bcvk {

struct ProcessResult {
  int status = 0; // exit status, or 128+signal when killed
  std::string out;
  std::string err;
};

// Runs a program to completion, capturing its output; behind an interface so tests can fake it.
class ProcessRunner {
public:
  virtual ~ProcessRunner() = default;
  virtual ProcessResult run(const std::vector<std::string>& argv) = 0;
};

// The real thing: posix_spawn with the signal mask reset, stdin from /dev/null.
class SystemProcessRunner : public ProcessRunner {
public:
  ProcessResult run(const std::vector<std::string>& argv) override;
};

// A program started in a process group of its own (a Ctrl-C at the terminal reaches bcvk, which
// decides what the child is told), stdin from /dev/null, stdout and stderr to the descriptors
// given, and `extra_env` over bcvk's environment. It is owned: unless it was waited for, its process group is killed
// and it is reaped when the owner goes, on every path.
class Child {
public:
  Child(const std::vector<std::string>& argv, int stdout_fd, int stderr_fd,
        const std::map<std::string, std::string>& extra_env = {});
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Readable once the child has exited (a pidfd; -1 where the kernel has none).
  int exit_fd() const { return m_exit_fd.get(); }
  void signal(int signo) const;
  void kill_group() const;
  // Reaps it if it has exited, without waiting.
  bool exited();
  // Waits for it: its exit status, or 128+signal.
  int wait();

private:
  void reap();
  int m_pid;
  Fd m_exit_fd;
  bool m_reaped = false;
  int m_status = -1;
};

// Runs a program with the terminal attached (inherits stdin/stdout/stderr) and extra environment.
int run_attached(const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env);

// A one-line rendering of a command for messages.
std::string quote_command(const std::vector<std::string>& argv);

} // namespace bcvk
