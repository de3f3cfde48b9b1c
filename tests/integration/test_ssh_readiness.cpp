// Waiting for SSH against real loopback sockets that are not a healthy sshd: nothing listening, a
// silent peer, another protocol, a VM that stops, a signal. Each must end the wait with the cause.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <functional>
#include <thread>

#include "bcvk/instance/ports.hpp"
#include "bcvk/ssh/readiness.hpp"

using namespace bcvk;

namespace {

// A listening socket on a free port of 127.0.0.1 (`flags` added to its type); `port` is set.
Fd listen_on_loopback(int flags, unsigned& port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  ::listen(fd.get(), 16);
  port = ntohs(addr.sin_port);
  return fd;
}

// Listens on 127.0.0.1; accepted connections get `greeting` (if any) and are then held open, or
// closed at once when `hang_up`.
class Peer {
public:
  explicit Peer(std::string greeting, bool hang_up = false) : m_greeting(std::move(greeting)), m_hang_up(hang_up) {
    m_fd = listen_on_loopback(0, m_port);
    m_thread = std::thread([this] {
      while (true) {
        const int c = ::accept(m_fd.get(), nullptr, nullptr);
        if (c < 0) {
          return;
        }
        if (!m_greeting.empty()) {
          [[maybe_unused]] const auto n = ::write(c, m_greeting.data(), m_greeting.size());
        }
        if (m_hang_up) {
          ::close(c);
        } else {
          m_clients.emplace_back(c);
        }
      }
    });
  }
  ~Peer() {
    ::shutdown(m_fd.get(), SHUT_RDWR);
    m_thread.join();
  }
  unsigned port() const { return m_port; }

private:
  std::string m_greeting;
  bool m_hang_up;
  Fd m_fd;
  unsigned m_port = 0;
  std::vector<Fd> m_clients;
  std::thread m_thread;
};

SshTarget target_on(unsigned port) {
  SshTarget t;
  t.vm_name = "probe";
  t.port = port;
  t.host_key_blob = "not-a-real-key";
  return t;
}

ReadinessCheck quick_check() {
  ReadinessCheck check;
  check.timeout = std::chrono::seconds(2);
  check.vm_running = [] { return true; };
  check.console_log = "/path/to/console.log";
  return check;
}

std::string failure_of(const SshTarget& target, const ReadinessCheck& check, SignalCatcher& signals) {
  try {
    wait_for_ssh(target, check, signals);
  } catch (const SshNotReady& e) {
    return e.what();
  }
  return "(no failure)";
}

class Readiness : public ::testing::Test {
protected:
  SignalCatcher signals;
};

} // namespace

TEST_F(Readiness, NothingListeningTimesOutNamingTheCauseAndTheConsoleLog) {
  const std::string why = failure_of(target_on(pick_loopback_port()), quick_check(), signals);
  EXPECT_NE(why.find("SSH to VM probe did not come up within 2 s, the hard cap"), std::string::npos) << why;
  EXPECT_NE(why.find("refused the connection: sshd is not listening"), std::string::npos) << why;
  EXPECT_NE(why.find("--ssh-timeout"), std::string::npos) << why;
  EXPECT_NE(why.find("/path/to/console.log"), std::string::npos) << why;
}

TEST_F(Readiness, ASilentPeerIsAGuestWithoutNetwork) {
  Peer silent("");
  const std::string why = failure_of(target_on(silent.port()), quick_check(), signals);
  EXPECT_NE(why.find("connections got no answer"), std::string::npos) << why;
}

TEST_F(Readiness, AnotherProtocolIsNamedAsSuch) {
  Peer http("HTTP/1.1 400 Bad Request\r\n\r\n");
  const std::string why = failure_of(target_on(http.port()), quick_check(), signals);
  EXPECT_NE(why.find("something other than sshd answers on port " + std::to_string(http.port())), std::string::npos)
      << why;
}

TEST_F(Readiness, AVmThatStopsEndsTheWaitAtOnce) {
  ReadinessCheck check = quick_check();
  check.timeout = std::chrono::seconds(600);
  check.vm_running = [] { return false; };
  const std::string why = failure_of(target_on(pick_loopback_port()), check, signals);
  EXPECT_EQ(why, "VM probe stopped before SSH came up; see its console log /path/to/console.log");
}

TEST_F(Readiness, AGuestThatStopsWritingIsGivenUpOnAtTheStallLimitNotTheCap) {
  ReadinessCheck check = quick_check();
  check.timeout = std::chrono::seconds(600);
  check.stall_limit = std::chrono::seconds(2);
  check.activity = [] { return std::string("4096/0"); }; // the same, look after look
  const std::string why = failure_of(target_on(pick_loopback_port()), check, signals);
  EXPECT_NE(why.find("SSH to VM probe did not come up: the guest made no progress for 2 s"), std::string::npos) << why;
  EXPECT_NE(why.find("no new console or journal output"), std::string::npos) << why;
  EXPECT_NE(why.find("/path/to/console.log"), std::string::npos) << why;
}

TEST_F(Readiness, AGuestThatKeepsWritingIsWaitedForUntilTheHardCap) {
  ReadinessCheck check = quick_check();
  // Looks come every half second: a stall limit well above that, so a busy host's hiccup is no stall.
  check.timeout = std::chrono::seconds(8);
  check.stall_limit = std::chrono::seconds(4);
  check.activity = [n = 0]() mutable { return std::to_string(++n); }; // new output at every look
  const std::string why = failure_of(target_on(pick_loopback_port()), check, signals);
  EXPECT_NE(why.find("did not come up within 8 s, the hard cap"), std::string::npos) << why;
}

TEST_F(Readiness, AnEmulatorCrashIsNamedWithLibvirtsLine) {
  ReadinessCheck check = quick_check();
  check.timeout = std::chrono::seconds(600);
  check.vm_running = [] { return false; };
  check.stop_cause = [] { return std::string("QEMU crashed (libvirt's log: X: shutting down, reason=crashed)"); };
  const std::string why = failure_of(target_on(pick_loopback_port()), check, signals);
  EXPECT_EQ(why, "QEMU crashed (libvirt's log: X: shutting down, reason=crashed) before SSH came up on VM probe; "
                 "see its console log /path/to/console.log");
}

TEST_F(Readiness, WhatTheGuestSaidIsADetailOfTheFailureNotItsMessage) {
  ReadinessCheck check = quick_check();
  check.vm_running = [] { return false; };
  check.diagnosis = [] { return std::string("likely cause: Kernel panic\nlast lines of the guest's console:\n  x"); };
  try {
    wait_for_ssh(target_on(pick_loopback_port()), check, signals);
    ADD_FAILURE() << "no failure";
  } catch (const SshNotReady& e) {
    EXPECT_EQ(std::string(e.what()), "VM probe stopped before SSH came up; see its console log /path/to/console.log");
    EXPECT_EQ(e.details(), "likely cause: Kernel panic\nlast lines of the guest's console:\n  x");
  }
}

TEST_F(Readiness, ATerminationSignalInterruptsTheWait) {
  ReadinessCheck check = quick_check();
  check.timeout = std::chrono::seconds(600);
  ::raise(SIGTERM); // blocked by the catcher: it waits on the signalfd
  try {
    wait_for_ssh(target_on(pick_loopback_port()), check, signals);
    ADD_FAILURE() << "the wait ignored SIGTERM";
  } catch (const Interrupted& e) {
    EXPECT_EQ(e.signal(), SIGTERM);
  }
}

TEST_F(Readiness, DirectConnectToNothingIsUnreachable) {
  try {
    SshSession::connect(target_on(pick_loopback_port()));
    ADD_FAILURE() << "connected to nothing";
  } catch (const SshError& e) {
    EXPECT_EQ(e.failure(), SshFailure::unreachable) << e.what();
  }
}

// A guest whose sshd answers but never lets bcvk in (it hangs up after its banner here; a refused
// key in real life) is up: the failure says what sshd does, not that the guest looks stuck.
TEST_F(Readiness, AnSshdThatAnswersButNeverLetsUsInIsNamedNotCalledStuck) {
  Peer sshd("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", true);
  ReadinessCheck check = quick_check();
  check.timeout = std::chrono::seconds(60);
  check.stall_limit = std::chrono::seconds(3);
  check.activity = [] { return std::string("4096/0"); };
  const std::string why = failure_of(target_on(sshd.port()), check, signals);
  EXPECT_NE(why.find("SSH to VM probe did not come up: sshd answers, but "), std::string::npos) << why;
  EXPECT_NE(why.find(", and nothing changed for "), std::string::npos) << why;
  EXPECT_EQ(why.find("looks stuck"), std::string::npos) << why;
  EXPECT_NE(why.find("/path/to/console.log"), std::string::npos) << why;
}

namespace {

// An sshd that answers with the start of a banner and then trickles one byte a second, forever:
// each read of the client succeeds, so no per-read timeout ever fires. `after` (if set) runs once,
// two seconds in, from the trickling thread.
class TricklingSshd {
public:
  explicit TricklingSshd(std::function<void()> after = {}) : m_after(std::move(after)) {
    m_fd = listen_on_loopback(SOCK_NONBLOCK, m_port);
    m_thread = std::thread([this] {
      for (int tick = 0; !m_stop; ++tick) {
        for (int c; (c = ::accept4(m_fd.get(), nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) {
          [[maybe_unused]] const auto n = ::write(c, "SSH-2.0-", 8);
          m_clients.emplace_back(c);
        }
        for (const auto& c : m_clients) {
          [[maybe_unused]] const auto n = ::send(c.get(), "x", 1, MSG_NOSIGNAL);
        }
        if (tick == 2 && m_after) {
          m_after();
        }
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
    });
  }
  ~TricklingSshd() {
    m_stop = true;
    m_thread.join();
  }
  unsigned port() const { return m_port; }

private:
  std::function<void()> m_after;
  std::atomic<bool> m_stop{false};
  Fd m_fd;
  unsigned m_port = 0;
  std::vector<Fd> m_clients;
  std::thread m_thread;
};

} // namespace

// A guest cannot hold bcvk: the conversation with its sshd has a deadline of its own, and the
// hard cap ends the wait, however steadily the server trickles.
TEST_F(Readiness, AnSshdThatTricklesBytesMeetsTheHardCap) {
  TricklingSshd sshd;
  ReadinessCheck check = quick_check();
  check.timeout = std::chrono::seconds(6);
  const std::string why = failure_of(target_on(sshd.port()), check, signals);
  EXPECT_NE(why.find("did not come up within 6 s, the hard cap"), std::string::npos) << why;
  EXPECT_NE(why.find("took too long"), std::string::npos) << why;
}

TEST_F(Readiness, CtrlCEndsAWaitOnATricklingSshd) {
  TricklingSshd sshd([] { ::kill(::getpid(), SIGINT); });
  ReadinessCheck check = quick_check();
  check.timeout = std::chrono::seconds(600);
  try {
    wait_for_ssh(target_on(sshd.port()), check, signals);
    ADD_FAILURE() << "the wait ignored SIGINT";
  } catch (const Interrupted& e) {
    EXPECT_EQ(e.signal(), SIGINT);
  }
}
