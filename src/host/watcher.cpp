#include "bcvk/host/watcher.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <thread>

#include <libvirt/virterror.h>
#include <spdlog/spdlog.h>

namespace bcvk {
namespace {

enum class DomainState { running, stopped, crashed };

struct StopEvent {
  Fd read_end;
  Fd write_end;
};

int lifecycle_callback(virConnectPtr, virDomainPtr, int event, int detail, void* opaque) {
  if (event == VIR_DOMAIN_EVENT_STOPPED) {
    const char code =
        detail == VIR_DOMAIN_EVENT_STOPPED_CRASHED || detail == VIR_DOMAIN_EVENT_STOPPED_FAILED ? 'c' : 's';
    auto* ev = static_cast<StopEvent*>(opaque);
    [[maybe_unused]] const auto n = ::write(ev->write_end.get(), &code, 1);
  }
  return 0;
}

// Registers the lifecycle callback for one domain and removes it again on scope exit.
class LifecycleSubscription {
public:
  LifecycleSubscription(const Connection& conn, const Domain& domain, StopEvent& ev) : m_conn(conn) {
    m_id = virConnectDomainEventRegisterAny(conn.get(), domain.get(), VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                            VIR_DOMAIN_EVENT_CALLBACK(lifecycle_callback), &ev, nullptr);
    if (m_id < 0) {
      spdlog::debug("lifecycle events unavailable; falling back to polling");
    }
  }
  ~LifecycleSubscription() {
    if (m_id >= 0) {
      virConnectDomainEventDeregisterAny(m_conn.get(), m_id);
    }
  }
  LifecycleSubscription(const LifecycleSubscription&) = delete;
  LifecycleSubscription& operator=(const LifecycleSubscription&) = delete;

private:
  const Connection& m_conn;
  int m_id = -1;
};

// nullopt: libvirt could not be asked (connection trouble), which is not the same as "stopped".
std::optional<DomainState> probe(const Domain& domain) {
  int state = 0;
  int reason = 0;
  if (virDomainGetState(domain.get(), &state, &reason, 0) < 0) {
    const virError* err = virGetLastError();
    if (err != nullptr && err->code == VIR_ERR_NO_DOMAIN) {
      return DomainState::stopped;
    }
    return std::nullopt;
  }
  if (state == VIR_DOMAIN_SHUTOFF) {
    return reason == VIR_DOMAIN_SHUTOFF_CRASHED || reason == VIR_DOMAIN_SHUTOFF_FAILED ? DomainState::crashed
                                                                                       : DomainState::stopped;
  }
  return state == VIR_DOMAIN_CRASHED ? DomainState::crashed : DomainState::running;
}

} // namespace

StopResult wait_for_stop(const Connection& conn, const Domain& domain, SignalCatcher* signals, const TickFn& on_tick,
                         int tick_ms, const InputWatch& input) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw Error("pipe failed");
  }
  StopEvent ev{Fd(pipe_fds[0]), Fd(pipe_fds[1])};
  LifecycleSubscription subscription(conn, domain, ev);
  // Events can be missed (subscription raced the stop, daemon restart): poll the state now and then.
  constexpr auto k_poll_interval = std::chrono::seconds(2);
  auto next_poll = std::chrono::steady_clock::now();
  while (true) {
    if (on_tick && !on_tick()) {
      return {StopReason::given_up, 0};
    }
    if (std::chrono::steady_clock::now() >= next_poll) {
      next_poll = std::chrono::steady_clock::now() + k_poll_interval;
      const auto state = probe(domain);
      if (!state) {
        if (virConnectIsAlive(conn.get()) != 1) {
          return {StopReason::connection_lost, 0};
        }
      } else if (*state == DomainState::stopped || *state == DomainState::crashed) {
        return {*state == DomainState::crashed ? StopReason::crashed : StopReason::powered_off, 0};
      }
    }
    pollfd fds[3] = {
        {ev.read_end.get(), POLLIN, 0}, {signals != nullptr ? signals->fd() : -1, POLLIN, 0}, {input.fd, POLLIN, 0}};
    const int rc = ::poll(fds, 3, tick_ms);
    if (rc < 0 && errno != EINTR) {
      throw Error("poll failed");
    }
    if (signals != nullptr && (fds[1].revents & POLLIN) != 0) {
      if (const auto signo = signals->take()) {
        return {StopReason::signalled, *signo};
      }
    }
    if (input.fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP)) != 0 && !input.on_readable()) {
      return {StopReason::detached, 0};
    }
    if ((fds[0].revents & POLLIN) != 0) {
      char code = 0;
      if (::read(ev.read_end.get(), &code, 1) == 1) {
        if (on_tick) {
          on_tick(); // the last output before the stop, whatever it says of going on
        }
        return {code == 'c' ? StopReason::crashed : StopReason::powered_off, 0};
      }
    }
  }
}

} // namespace bcvk
