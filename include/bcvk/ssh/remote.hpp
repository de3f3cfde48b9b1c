#pragma once
// Running a shell or command over an SSH session with the terminal attached, plus port forwards.
#include <string>
#include <vector>

#include "bcvk/util/signals.hpp"
#include "bcvk/vm/ssh_forward.hpp"
#include "bcvk/ssh/session.hpp"

namespace bcvk {

struct RemoteRequest {
  std::string command; // empty: the user's login shell
  bool pty = false;    // allocate a pseudo-terminal (interactive use)
  std::vector<ForwardSpec> forwards;
};

// What OpenSSH sends with a command typed as several words: the words joined by spaces, to be
// interpreted by the remote shell (so `ssh vm 'ls /; echo hi'` means what it says). Pure.
std::string remote_command_line(const std::vector<std::string>& words);

// 128 + the signal's number for an "exit-signal" name such as "TERM"; 255 when unknown. Pure.
int exit_status_for_signal(const std::string& name);

// Streams stdin to the remote side and its stdout/stderr to ours (separately) until the remote
// command ends; forwards ports meanwhile. With a pty the local terminal is raw for the duration and
// window size changes follow. Returns the remote exit status; a termination signal to bcvk ends it
// with Interrupted.
int run_remote(const SshSession& session, const RemoteRequest& request, SignalCatcher& signals);

} // namespace bcvk
