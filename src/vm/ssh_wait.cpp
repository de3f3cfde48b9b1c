#include "bcvk/vm/ssh_wait.hpp"

namespace bcvk {

SshWaitLimits ssh_wait_limits(std::optional<unsigned> requested, bool emulated) {
  const unsigned cap = requested.value_or(emulated ? k_ssh_hard_cap_emulated_seconds : k_ssh_hard_cap_seconds);
  return {std::chrono::seconds(cap),
          std::chrono::seconds(emulated ? k_ssh_stall_emulated_seconds : k_ssh_stall_seconds)};
}

} // namespace bcvk
