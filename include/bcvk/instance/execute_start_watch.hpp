#pragma once
// Waiting for a foreground VM's --execute commands to start: a guest stuck on its way there (a
// hung boot, an emergency shell) is given up on once it has shown no progress for the stall
// limit, or at the hard cap should it keep writing without ever getting there (a start job with
// no time limit redraws its console line forever). Once the commands run they take as long as
// they take.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "bcvk/util/progress_watch.hpp"
#include "bcvk/vm/instance_layout.hpp"
#include "bcvk/vm/ssh_wait.hpp"

namespace bcvk {

class ExecuteStartWatch {
public:
  // `limits`: as for SSH (ssh_wait_limits: --ssh-timeout, and whether QEMU emulates the
  // processor), counted from `start`.
  ExecuteStartWatch(const InstanceLayout& dir, const std::string& vm_name, SshWaitLimits limits,
                    ProgressWatch::Clock::time_point start);

  // Looks at most once a second. Why to give up on the guest (it is still running by `vm_running`,
  // its commands have not started, and it was silent for the stall limit or reached the hard
  // cap), or nullopt to go on waiting. A VM that stopped is reported by whoever waits for it.
  std::optional<std::string> check(ProgressWatch::Clock::time_point now, const std::function<bool()>& vm_running);

private:
  bool commands_started() const;

  InstanceLayout m_dir;
  std::string m_vm_name;
  ProgressWatch m_watch;
  ProgressWatch::Clock::time_point m_next_look;
  bool m_started = false;
};

} // namespace bcvk
