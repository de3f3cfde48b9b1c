#include "bcvk/instance/execute_start_watch.hpp"

#include <sys/stat.h>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/guest_files.hpp"

namespace bcvk {
namespace {

std::string size_of(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? std::to_string(st.st_size) : "-";
}

} // namespace

ExecuteStartWatch::ExecuteStartWatch(const InstanceLayout& dir, const std::string& vm_name,
                                     std::chrono::seconds stall_limit)
    : m_dir(dir), m_vm_name(vm_name),
      // No hard cap: how long a boot may take is the guest's business while it shows progress.
      m_watch(ProgressWatch::Clock::now(), ProgressWatch::k_no_hard_cap, stall_limit),
      m_next_look(ProgressWatch::Clock::now()) {}

bool ExecuteStartWatch::commands_started() const {
  // The script marks its start in the guest's /etc before the first command; the overlay's upper
  // layer is the guest's to shape, so the marker is looked up inside it, never through its links.
  const RootedTree upper = RootedTree::open(m_dir.upper_dir(), "the VM's overlay");
  return upper.kind_of(std::string(k_execute_done_path).substr(1), LinkPolicy::confined).has_value();
}

std::string ExecuteStartWatch::activity() const {
  const ExecuteOutputs outputs = m_dir.execute_outputs();
  return size_of(m_dir.console_log()) + "/" + size_of(m_dir.journal_log()) + "/" + size_of(outputs.stdout_path) + "/" +
         size_of(outputs.stderr_path);
}

void ExecuteStartWatch::check(const std::function<std::string()>& console_log) {
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
  m_watch.observe(now, activity());
  if (m_watch.verdict(now) == ProgressWatch::Verdict::stalled) {
    throw Error("VM " + m_vm_name + " made no progress for " + std::to_string(m_watch.quiet_for(now).count()) +
                " s (no new console or journal output) before its --execute commands started, so it looks stuck "
                "and was powered off; see its console log " +
                console_log());
  }
}

} // namespace bcvk
