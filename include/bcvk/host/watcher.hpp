#pragma once
// Waiting for a domain to stop: libvirt lifecycle events, termination signals, console output.
#include <functional>
#include <optional>
#include <string>

#include "bcvk/host/hypervisor.hpp"
#include "bcvk/util/signals.hpp"

namespace bcvk {

enum class StopReason { powered_off, crashed, signalled, connection_lost, detached, given_up };

struct StopResult {
  StopReason reason = StopReason::powered_off;
  int signal = 0;
};

// Called on every wake-up (at least every `tick_ms`) so callers can copy console output etc.;
// returns false to stop waiting (StopReason::given_up: the caller decided the VM is stuck).
using TickFn = std::function<bool()>;

// An extra descriptor to watch (e.g. the terminal); its handler returns false to stop waiting.
struct InputWatch {
  int fd = -1;
  std::function<bool()> on_readable;
};

// Blocks until `domain` stops, a termination signal arrives (when `signals` is given), the input
// handler asks to stop (StopReason::detached) or the tick gives up (StopReason::given_up).
StopResult wait_for_stop(const Connection& conn, const Domain& domain, SignalCatcher* signals,
                         const TickFn& on_tick = {}, int tick_ms = 1000, const InputWatch& input = {});

} // namespace bcvk
