#pragma once
// How long bcvk waits for a new VM's sshd (pure): a hard cap, and how long the guest may show no
// progress at all before it counts as stuck. Emulated guests (no KVM) boot many times slower, and
// slower still beside other emulated guests, so their cap is higher; a stuck guest is still caught
// early by the stall limit, whatever the cap.
#include <chrono>
#include <optional>

namespace bcvk {

inline constexpr unsigned k_ssh_hard_cap_seconds = 240;
inline constexpr unsigned k_ssh_hard_cap_emulated_seconds = 900;
inline constexpr unsigned k_ssh_stall_seconds = 60;
inline constexpr unsigned k_ssh_stall_emulated_seconds = 180;

struct SshWaitLimits {
  std::chrono::seconds hard_cap;
  std::chrono::seconds stall_limit;
};

// `requested`: --ssh-timeout, the hard cap, when given.
SshWaitLimits ssh_wait_limits(std::optional<unsigned> requested, bool emulated);

} // namespace bcvk
