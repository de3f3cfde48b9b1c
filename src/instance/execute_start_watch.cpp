#include "bcvk/instance/execute_start_watch.hpp"

#include "bcvk/instance/guest_watch.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/rooted_fs.hpp"
#include "bcvk/vm/guest_files.hpp"

namespace bcvk {

ExecuteStartWatch::ExecuteStartWatch(const InstanceLayout& dir, const std::string& vm_name,
                                     std::chrono::seconds stall_limit)
    : m_dir(dir), m_vm_name(vm_name),
      // No hard cap: how long a boot may take is the guest's business while it shows progress.
      m_watch(ProgressWatch::Clock::now(), ProgressWatch::k_no_hard_cap, stall_limit),
      m_next_look(ProgressWatch::Clock::now()) {}

bool ExecuteStartWatch::commands_started() const {
  // The script marks its start in the guest's /etc before the first command. The root is the
  // guest's to shape: the marker is looked up as the guest sees it (its own links included, even
  // one the image ships for /etc/bcvk), never through a link out of its tree.
  const RootedTree root = RootedTree::open(m_dir.root_dir(), "the VM's root");
  return root.kind_of(std::string(k_execute_done_path).substr(1), LinkPolicy::confined).has_value();
}

void ExecuteStartWatch::check(const std::function<bool()>& vm_running,
                              const std::function<std::string()>& console_log) {
  const auto now = ProgressWatch::Clock::now();
  if (m_started || now < m_next_look) {
    return;
  }
  m_next_look = now + std::chrono::seconds(1);
  try {
    m_started = commands_started();
  } catch (const Error&) {
    m_started = false; // not there yet, or the guest made it unreadable: its silence still counts
  }
  if (m_started) {
    return;
  }
  m_watch.observe(now, guest_log_activity(m_dir));
  if (m_watch.verdict(now) == ProgressWatch::Verdict::stalled && vm_running()) {
    throw Error("VM " + m_vm_name + " made no progress for " + std::to_string(m_watch.quiet_for(now).count()) +
                " s (no new console or journal output) before its --execute commands started, so it looks stuck "
                "and was powered off; see its console log " +
                console_log());
  }
}

} // namespace bcvk
