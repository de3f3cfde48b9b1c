#pragma once
// An authenticated libssh2 session to a VM over its loopback forward.
#include <libssh2.h>

#include <chrono>
#include <string>

#include "bcvk/util/error.hpp"
#include "bcvk/util/handle.hpp"
#include "bcvk/util/signals.hpp"

namespace bcvk {

// Where and as whom to connect, and which host key the server must present.
struct SshTarget {
  std::string vm_name;
  unsigned port = 0; // on 127.0.0.1
  std::string client_key;
  std::string client_public;
  std::string host_key_blob;    // the key bcvk generated for the guest, wire format
  std::string host_public_path; // where that key is stored, for messages
};

enum class SshFailure {
  unreachable,       // nothing answers with an SSH banner yet (VM still booting)
  host_key_mismatch, // someone else answers: never retried
  auth_rejected,     // sshd is up but does not (yet) accept our key
  broken,            // the connection failed after the banner
};

class SshError : public Error {
public:
  SshError(SshFailure failure, const std::string& message) : Error(message), m_failure(failure) {}
  SshFailure failure() const { return m_failure; }

private:
  SshFailure m_failure;
};

void close_ssh_session(LIBSSH2_SESSION* session);
void free_ssh_channel(LIBSSH2_CHANNEL* channel);
using SshSessionHandle = Handle<LIBSSH2_SESSION, close_ssh_session>;
using SshChannelHandle = Handle<LIBSSH2_CHANNEL, free_ssh_channel>;

struct SshTimeouts {
  std::chrono::milliseconds banner{1000};   // how long a silent connection is given to show sshd's banner
  std::chrono::milliseconds session{30000}; // all later steps together (key exchange, auth, requests)
};

// How long a conversation with the guest's sshd may take in all, and what ends it early: the
// guest decides how fast it answers, so no step may wait on it without both. A server that
// trickles a byte a second still meets the deadline; a termination signal throws Interrupted.
struct SshWait {
  std::chrono::steady_clock::time_point deadline;
  SignalCatcher* signals = nullptr;
};

// A non-blocking TCP connection to 127.0.0.1:port, possibly still being established.
Fd start_loopback_connect(unsigned port);

enum class BannerState { waiting, arrived, closed, not_ssh };
// Looks (without consuming anything) whether sshd's "SSH-" banner is there. QEMU accepts on the
// forward as soon as the VM exists, whether or not sshd runs: only the banner shows that it does.
BannerState peek_banner(int fd);

class SshSession {
public:
  // Connects to 127.0.0.1:port, checks the host key strictly, authenticates as root. Throws SshError
  // (Interrupted on a termination signal when `signals` is given).
  static SshSession connect(const SshTarget& target, const SshTimeouts& timeouts = {},
                            SignalCatcher* signals = nullptr);
  // The same over a connection whose banner has arrived.
  static SshSession over(Fd socket, const SshTarget& target, const SshWait& wait);

  LIBSSH2_SESSION* get() const { return m_session.get(); }
  int socket() const { return m_socket.get(); }
  void set_blocking(bool blocking) const;

  // The libssh2 error text of the last failed call.
  std::string last_error() const;

  // Runs `command` to completion with its output discarded; returns its exit status. Throws
  // SshError at the deadline.
  int run_quietly(const std::string& command, const SshWait& wait) const;

private:
  SshSession() = default;
  // Declared first so it is closed last: the session still talks over it while shutting down.
  Fd m_socket;
  SshSessionHandle m_session;
};

} // namespace bcvk
