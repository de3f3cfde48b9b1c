#pragma once
// Driving a non-blocking libssh2 session: waiting for its socket, and retrying one-off requests.
#include <chrono>
#include <string>
#include <type_traits>

#include "bcvk/ssh/session.hpp"

namespace bcvk {

// How long the I/O loops sleep in poll() when nothing moves.
inline constexpr int k_ssh_idle_poll_ms = 100;
// How long a one-off request may wait for the VM's answer.
inline constexpr auto k_ssh_request_timeout = std::chrono::seconds(30);

// Waits up to `timeout_ms` for the session's socket in the direction libssh2 is blocked on.
void wait_for_socket(const SshSession& s, int timeout_ms);

// Repeats a non-blocking libssh2 call while it says EAGAIN; for one-off requests (open a channel,
// ask for a pty), where waiting a round trip is fine.
template <typename Call> auto retry(const SshSession& s, const char* what, Call call) {
  const auto deadline = std::chrono::steady_clock::now() + k_ssh_request_timeout;
  while (true) {
    auto result = call();
    bool again = false;
    if constexpr (std::is_pointer_v<decltype(result)>) {
      again = result == nullptr && libssh2_session_last_errno(s.get()) == LIBSSH2_ERROR_EAGAIN;
    } else {
      again = result == LIBSSH2_ERROR_EAGAIN;
    }
    if (!again) {
      return result;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw SshError(SshFailure::broken, std::string(what) + ": no answer from the VM within 30 s");
    }
    wait_for_socket(s, k_ssh_idle_poll_ms);
  }
}

} // namespace bcvk
