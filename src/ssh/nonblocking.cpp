#include "bcvk/ssh/nonblocking.hpp"

#include <poll.h>

namespace bcvk {

void wait_for_socket(const SshSession& s, int timeout_ms) {
  const int directions = libssh2_session_block_directions(s.get());
  pollfd p{s.socket(), 0, 0};
  if ((directions & LIBSSH2_SESSION_BLOCK_INBOUND) != 0) {
    p.events |= POLLIN;
  }
  if ((directions & LIBSSH2_SESSION_BLOCK_OUTBOUND) != 0) {
    p.events |= POLLOUT;
  }
  ::poll(&p, 1, p.events == 0 ? 10 : timeout_ms);
}

} // namespace bcvk
