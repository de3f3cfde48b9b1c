#include "bcvk/util/signals.hpp"

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

Interrupted::Interrupted(int signo)
    : Error(std::string("interrupted by ") + ::strsignal(signo) + "; the VM was stopped and cleaned up"),
      m_signal(signo) {}

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

} // namespace bcvk
