#include "bcvk/ssh_startup.hpp"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "bcvk/ssh_ready.hpp"

namespace fs = std::filesystem;

namespace bcvk {

std::string rescued_console_log(const std::string& vm_name) {
  std::error_code ec;
  const fs::path tmp = fs::temp_directory_path(ec);
  return ((ec ? fs::path("/tmp") : tmp) / ("bcvk-console-" + vm_name + ".log")).string();
}

SshSession await_ssh_on_new_vm(const Domain& domain, InstanceOwner& owner, unsigned timeout_seconds,
                               SignalCatcher& signals) {
  const bool removed_on_failure = owner.state().auto_remove;
  const std::string log = removed_on_failure ? rescued_console_log(owner.dir().name()) : owner.dir().console_log();
  ReadinessCheck check;
  check.timeout = std::chrono::seconds(timeout_seconds);
  check.vm_running = [&domain] { return domain.is_active(); };
  check.console_log = log;
  try {
    return wait_for_ssh(ssh_target_for(owner.dir(), owner.state()), check, signals);
  } catch (const SshNotReady&) {
    if (removed_on_failure) {
      std::error_code ec;
      fs::copy_file(owner.dir().console_log(), log, fs::copy_options::overwrite_existing, ec);
      if (ec) {
        spdlog::warn("could not keep the console log at {}: {}", log, ec.message());
      }
    }
    throw;
  }
}

} // namespace bcvk
