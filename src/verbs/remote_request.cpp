#include "bcvk/verbs/remote_request.hpp"

#include <unistd.h>

namespace bcvk {
namespace {

bool interactive_terminal() {
  return ::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1;
}

} // namespace

RemoteRequest request_for(const std::vector<std::string>& command, bool force_tty) {
  RemoteRequest request;
  request.command = remote_command_line(command);
  // As OpenSSH: a terminal for an interactive shell, none for a command unless asked for.
  request.pty = force_tty || (command.empty() && interactive_terminal());
  return request;
}

} // namespace bcvk
