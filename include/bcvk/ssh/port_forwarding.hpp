#pragma once
// -L and -R port forwards over an SSH session, relayed without blocking next to the main channel.
#include <poll.h>

#include <string>
#include <vector>

#include "bcvk/ssh/session.hpp"
#include "bcvk/util/handle.hpp"
#include "bcvk/vm/ssh_forward.hpp"

namespace bcvk {

// How much a relay buffers in each direction before it stops reading.
inline constexpr std::size_t k_forward_buffer_limit = 256 * 1024;

namespace detail {
inline void cancel_listener(LIBSSH2_LISTENER* listener) {
  libssh2_channel_forward_cancel(listener);
}
} // namespace detail
using ListenerHandle = Handle<LIBSSH2_LISTENER, detail::cancel_listener>;

// One forwarded TCP connection: a local socket paired with an SSH channel.
struct Relay {
  Relay(Fd s, SshChannelHandle c) : socket(std::move(s)), channel(std::move(c)) {}
  Fd socket;
  SshChannelHandle channel;
  std::string to_channel;
  std::string to_socket;
  bool socket_eof = false;
  bool eof_sent = false;
  bool channel_eof = false;
  bool failed = false;

  bool finished() const {
    return failed || (socket_eof && eof_sent && channel_eof && to_socket.empty() && to_channel.empty());
  }
};
struct LocalListener {
  Fd fd;
  ForwardSpec spec;
};
struct RemoteListener {
  ListenerHandle handle;
  ForwardSpec spec;
};

// Every forward of one session: listeners on both sides and the connections they accepted.
class ForwardSet {
public:
  // Listens on the host for each -L and asks the VM to listen for each -R; throws Error naming
  // the forward that cannot be set up.
  ForwardSet(const SshSession& session, const std::vector<ForwardSpec>& specs);
  // The descriptors to poll for: host listeners and relay sockets.
  void add_poll_fds(std::vector<pollfd>& fds) const;
  // Accepts and relays whatever is ready; true when anything moved.
  bool pump();

private:
  bool accept_local(LocalListener& l);
  bool accept_remote(RemoteListener& r);

  const SshSession& m_session;
  std::vector<LocalListener> m_local;
  std::vector<RemoteListener> m_remote;
  std::vector<Relay> m_relays;
};

} // namespace bcvk
