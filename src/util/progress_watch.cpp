#include "bcvk/util/progress_watch.hpp"

namespace bcvk {

void ProgressWatch::observe(Clock::time_point now, const std::string& activity) {
  if (!m_seen || activity != m_activity) {
    m_activity = activity;
    m_last_change = m_seen ? now : m_last_change; // the first look is where quiet time starts from
    m_seen = true;
  }
}

ProgressWatch::Verdict ProgressWatch::verdict(Clock::time_point now) const {
  if (now - m_start >= m_hard_cap) {
    return Verdict::capped;
  }
  if (now - m_last_change >= m_stall_limit) {
    return Verdict::stalled;
  }
  return Verdict::waiting;
}

std::chrono::seconds ProgressWatch::quiet_for(Clock::time_point now) const {
  return std::chrono::duration_cast<std::chrono::seconds>(now - m_last_change);
}

} // namespace bcvk
