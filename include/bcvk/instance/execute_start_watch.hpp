#pragma once
// Waiting for a foreground VM's --execute commands to start: a guest stuck on its way there (a
// hung boot, an emergency shell) is given up on once it has shown no progress for the stall
// limit, instead of being waited for forever. Once the commands run they take as long as they take.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "bcvk/util/progress_watch.hpp"
#include "bcvk/vm/instance_layout.hpp"

namespace bcvk {

class ExecuteStartWatch {
public:
  // `stall_limit`: as for SSH (ssh_wait_limits), by whether QEMU emulates the processor.
  ExecuteStartWatch(const InstanceLayout& dir, const std::string& vm_name, std::chrono::seconds stall_limit);

  // Looks at most once a second; throws Error naming the console log once the guest has been
  // silent (console, journal and the commands' outputs unchanged) for the stall limit before the
  // commands started, while `vm_running` says it still runs (a VM that stopped is reported as
  // such by whoever waits for it). `console_log` gives the log to name (a kept copy for --rm).
  void check(const std::function<bool()>& vm_running, const std::function<std::string()>& console_log);

private:
  bool commands_started() const;

  InstanceLayout m_dir;
  std::string m_vm_name;
  ProgressWatch m_watch;
  ProgressWatch::Clock::time_point m_next_look;
  bool m_started = false;
};

} // namespace bcvk
