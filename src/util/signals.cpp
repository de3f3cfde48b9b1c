#include "bcvk/util/signals.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace bcvk {
namespace {

sigset_t termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

} // namespace

Interrupted::Interrupted(int signo) : Error(std::string("interrupted by ") + ::strsignal(signo)), m_signal(signo) {}

SignalCatcher::SignalCatcher() {
  const sigset_t set = termination_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  m_fd.reset(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
}

SignalCatcher::~SignalCatcher() {
  const sigset_t set = termination_signals();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

std::optional<int> SignalCatcher::take() {
  signalfd_siginfo info{};
  if (::read(m_fd.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    return static_cast<int>(info.ssi_signo);
  }
  return std::nullopt;
}

void SignalCatcher::checkpoint() {
  if (const auto signo = take()) {
    throw Interrupted(*signo);
  }
}

void SignalCatcher::sleep_for(std::chrono::milliseconds duration) {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  while (true) {
    checkpoint();
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      return;
    }
    pollfd pfd{m_fd.get(), POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(left)); // woken early by a signal; EINTR just loops
  }
}

} // namespace bcvk
