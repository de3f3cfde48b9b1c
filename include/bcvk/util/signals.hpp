#pragma once
// Ctrl-C, SIGTERM and SIGHUP become events bcvk polls for, so cleanup always runs in normal code.
#include <chrono>
#include <optional>

#include "bcvk/util/error.hpp"
#include "bcvk/util/handle.hpp"

namespace bcvk {

// Raised at a checkpoint when a termination signal arrived; the exit status is 128 + signal.
class Interrupted : public Error {
public:
  explicit Interrupted(int signo);
  int signal() const { return m_signal; }

private:
  int m_signal;
};

// Blocks SIGINT, SIGTERM and SIGHUP for the whole process while alive (create it before any thread)
// and exposes them through a signalfd.
class SignalCatcher {
public:
  SignalCatcher();
  ~SignalCatcher();
  SignalCatcher(const SignalCatcher&) = delete;
  SignalCatcher& operator=(const SignalCatcher&) = delete;

  int fd() const { return m_fd.get(); }
  // The next pending termination signal, if any, without waiting.
  std::optional<int> take();
  // Throws Interrupted if a termination signal is pending.
  void checkpoint();
  // Waits `duration`, or throws Interrupted as soon as a termination signal arrives.
  void sleep_for(std::chrono::milliseconds duration);

private:
  Fd m_fd;
};

} // namespace bcvk
