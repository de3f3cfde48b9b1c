#include "bcvk/instance/ssh_startup.hpp"

#include "bcvk/host/emulator_log.hpp"
#include "bcvk/instance/guest_watch.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/fault_point.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/vm/boot_progress.hpp"

namespace bcvk {
namespace {

// Enough of the logs' ends for the latest step, and for the last lines of a failed boot.
constexpr std::size_t k_progress_window = 16 * 1024;
constexpr std::size_t k_report_window = 64 * 1024;

} // namespace

ReadinessCheck readiness_check_for(const Domain& domain, const InstanceLayout& dir, const std::string& uri,
                                   std::optional<unsigned> hard_cap_seconds) {
  const SshWaitLimits limits = ssh_wait_limits(hard_cap_seconds, instance_is_emulated(dir));
  ReadinessCheck check;
  check.timeout = limits.hard_cap;
  check.stall_limit = limits.stall_limit;
  check.vm_running = [&domain] { return domain.is_active(); };
  check.stop_cause = [name = domain.name(), uri] { return emulator_crash_message(name, uri).value_or(""); };
  check.console_log = dir.console_log();
  // Whatever the guest writes, on its console or into its journal, is progress.
  check.activity = [dir] { return guest_log_activity(dir); };
  const std::string journal_log = dir.journal_log();
  check.progress = [journal_log] { return latest_boot_step(read_file_tail(journal_log, k_progress_window)); };
  check.diagnosis = [journal_log, console_log = check.console_log] {
    return boot_failure_report(read_file_tail(journal_log, k_report_window),
                               read_file_tail(console_log, k_report_window));
  };
  return check;
}

SshSession await_ssh_on_new_vm(const Domain& domain, InstanceOwner& owner, std::optional<unsigned> hard_cap_seconds,
                               SignalCatcher& signals) {
  const ReadinessCheck check = readiness_check_for(domain, owner.dir(), owner.state().uri, hard_cap_seconds);
  fault_point("waiting-for-ssh");
  try {
    return wait_for_ssh(ssh_target_for(owner.dir().path(), owner.state()), check, signals);
  } catch (const SshNotReady& e) {
    if (!owner.state().auto_remove) {
      throw;
    }
    // The instance directory goes away with the VM: point the user at a copy that stays.
    std::string message = e.what();
    const std::string kept = console_log_to_name(owner.dir(), true);
    if (const auto at = message.rfind(check.console_log); at != std::string::npos) {
      message.replace(at, check.console_log.size(), kept);
    }
    throw SshNotReady(message, e.details());
  }
}

} // namespace bcvk
