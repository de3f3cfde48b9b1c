#pragma once
// The SSH request of `ssh` and `run-ssh`, shaped as OpenSSH would shape it.
#include <string>
#include <vector>

#include "bcvk/ssh/remote.hpp"

namespace bcvk {

// A terminal for an interactive shell (when stdin and stdout are terminals), none for a command
// unless `force_tty`.
RemoteRequest request_for(const std::vector<std::string>& command, bool force_tty);

} // namespace bcvk
