#pragma once
// Running host programs (podman, qemu-img, a --debug-entrypoint command).
#include <map>
#include <string>
#include <vector>

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

// Starts a program in a process group of its own (a Ctrl-C at the terminal reaches bcvk, which
// decides what the child is told), stdin from /dev/null, stdout and stderr to the descriptors given.
int spawn_with_output(const std::vector<std::string>& argv, int stdout_fd, int stderr_fd);
// Waits for a child started so; its exit status, or 128+signal.
int wait_for_exit(int pid);

// Runs a program with the terminal attached (inherits stdin/stdout/stderr) and extra environment.
int run_attached(const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env);

// A one-line rendering of a command for messages.
std::string quote_command(const std::vector<std::string>& argv);

} // namespace bcvk
