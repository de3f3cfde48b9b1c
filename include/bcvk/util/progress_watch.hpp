#pragma once
// Telling a slow guest from a stuck one: a wait on a guest ends when what it does stops changing
// for a while, or at a hard cap, never only because a clock ran out on a machine that is busy.
#include <chrono>
#include <cstdint>
#include <string>

namespace bcvk {

class ProgressWatch {
public:
  using Clock = std::chrono::steady_clock;
  enum class Verdict { waiting, stalled, capped };
  // A cap never reached (68 years; seconds::max() would overflow the clock's nanoseconds).
  static constexpr std::chrono::seconds k_no_hard_cap{0x7fffffff};

  // `hard_cap`: the longest wait, progress or not; `stall_limit`: the longest the activity may
  // stay unchanged. Both count from `start`.
  ProgressWatch(Clock::time_point start, std::chrono::seconds hard_cap, std::chrono::seconds stall_limit)
      : m_start(start), m_last_change(start), m_hard_cap(hard_cap), m_stall_limit(stall_limit) {}

  // Records what the guest has done so far (e.g. bytes of its logs, a state): any change from the
  // last look is progress (the first look only sets what later ones compare with; the quiet time
  // counts from `start`).
  void observe(Clock::time_point now, const std::string& activity);
  // Whether to go on waiting; the hard cap wins when both are reached.
  Verdict verdict(Clock::time_point now) const;
  // How long the activity has not changed.
  std::chrono::seconds quiet_for(Clock::time_point now) const;
  std::chrono::seconds hard_cap() const { return m_hard_cap; }
  std::chrono::seconds stall_limit() const { return m_stall_limit; }

private:
  Clock::time_point m_start;
  Clock::time_point m_last_change;
  std::chrono::seconds m_hard_cap;
  std::chrono::seconds m_stall_limit;
  std::string m_activity;
  bool m_seen = false;
};

} // namespace bcvk
