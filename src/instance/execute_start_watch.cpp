#include "bcvk/instance/execute_start_watch.hpp"

#include "bcvk/instance/guest_watch.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/rooted_fs.hpp"
#include "bcvk/vm/guest_files.hpp"

namespace bcvk {

ExecuteStartWatch::ExecuteStartWatch(const InstanceLayout& dir, const std::string& vm_name, SshWaitLimits limits,
                                     ProgressWatch::Clock::time_point start)
    : m_dir(dir), m_vm_name(vm_name), m_watch(start, limits.hard_cap, limits.stall_limit), m_next_look(start) {}

bool ExecuteStartWatch::commands_started() const {
  // The script marks its start in the guest's /etc before the first command. The root is the
  // guest's to shape: the marker is looked up as the guest sees it (its own links included, even
  // one the image ships for /etc/bcvk), never through a link out of its tree.
  const RootedTree root = RootedTree::open(m_dir.root_dir(), "the VM's root");
  return root.kind_of(std::string(k_execute_done_path).substr(1), LinkPolicy::confined).has_value();
}

std::optional<std::string> ExecuteStartWatch::check(ProgressWatch::Clock::time_point now,
                                                    const std::function<bool()>& vm_running) {
  if (m_started || now < m_next_look) {
    return std::nullopt;
  }
  m_next_look = now + std::chrono::seconds(1);
  try {
    m_started = commands_started();
  } catch (const Error&) {
    m_started = false; // not there yet, or the guest made it unreadable: its silence still counts
  }
  if (m_started) {
    return std::nullopt;
  }
  m_watch.observe(now, guest_log_activity(m_dir));
  const auto verdict = m_watch.verdict(now);
  if (verdict == ProgressWatch::Verdict::waiting || !vm_running()) {
    return std::nullopt;
  }
  if (verdict == ProgressWatch::Verdict::capped) {
    return "VM " + m_vm_name + " did not start its --execute commands within " +
           std::to_string(m_watch.hard_cap().count()) +
           " s, the hard cap (--ssh-timeout), though it kept writing to its console or journal";
  }
  return "VM " + m_vm_name + " made no progress for " + std::to_string(m_watch.quiet_for(now).count()) +
         " s (no new console or journal output) before its --execute commands started, so it looks stuck";
}

} // namespace bcvk
