#include "bcvk/instance/ssh_startup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "bcvk/host/emulator_log.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/vm/ssh_wait.hpp"
#include "bcvk/util/fault_point.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/vm/boot_progress.hpp"
#include "bcvk/util/handle.hpp"
#include "bcvk/util/rooted_fs.hpp"
#include "bcvk/ssh/readiness.hpp"

namespace fs = std::filesystem;

namespace bcvk {
namespace {

// Enough of the logs' ends for the latest step, and for the last lines of a failed boot.
constexpr std::size_t k_progress_window = 16 * 1024;
constexpr std::size_t k_report_window = 64 * 1024;

// The size of a log file; 0 while it does not exist yet. Never follows a link.
std::uint64_t file_size_or_zero(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size) : 0;
}

} // namespace

std::string rescue_console_log(const InstanceDir& dir) {
  std::error_code ec;
  const fs::path tmp = fs::temp_directory_path(ec);
  // mkstemps: a fresh name created exclusively (0600), so no one can prepare a link for it.
  std::string path = ((ec ? fs::path("/tmp") : tmp) / ("bcvk-console-" + dir.name() + "-XXXXXX.log")).string();
  const Fd out(::mkostemps(path.data(), 4, O_CLOEXEC));
  if (!out) {
    throw Error("cannot create a file for the console log in " + path + ": " + std::strerror(errno));
  }
  const Fd in(::open(dir.console_log().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  try {
    if (in) {
      copy_fd_contents(in.get(), out.get(), dir.console_log());
    }
  } catch (const Error&) {
    ::unlink(path.c_str());
    throw;
  }
  return path;
}

ReadinessCheck readiness_check_for(const Domain& domain, const InstanceLayout& dir, const SshWaitLimits& limits) {
  ReadinessCheck check;
  check.timeout = limits.hard_cap;
  check.stall_limit = limits.stall_limit;
  check.vm_running = [&domain] { return domain.is_active(); };
  check.stop_cause = [name = domain.name()] {
    const auto crash = emulator_crash_of(name);
    return crash ? "QEMU crashed (libvirt's log: " + *crash + ")" : std::string();
  };
  check.console_log = dir.console_log();
  const std::string journal_log = dir.journal_log();
  // Whatever the guest writes, on its console or into its journal, is progress.
  check.activity = [journal_log, console_log = check.console_log] {
    return std::to_string(file_size_or_zero(console_log)) + "/" + std::to_string(file_size_or_zero(journal_log));
  };
  check.progress = [journal_log] { return latest_boot_step(read_file_tail(journal_log, k_progress_window)); };
  check.diagnosis = [journal_log, console_log = check.console_log] {
    return boot_failure_report(read_file_tail(journal_log, k_report_window),
                               read_file_tail(console_log, k_report_window));
  };
  return check;
}

SshSession await_ssh_on_new_vm(const Domain& domain, InstanceOwner& owner, std::optional<unsigned> hard_cap_seconds,
                               SignalCatcher& signals) {
  const ReadinessCheck check =
      readiness_check_for(domain, owner.dir(), ssh_wait_limits(hard_cap_seconds, domain.is_emulated()));
  fault_point("waiting-for-ssh");
  try {
    return wait_for_ssh(ssh_target_for(owner.dir().path(), owner.state()), check, signals);
  } catch (const SshNotReady& e) {
    if (!owner.state().auto_remove) {
      throw;
    }
    // The instance directory goes away with the VM: point the user at a copy that stays.
    std::string message = e.what();
    try {
      const std::string kept = rescue_console_log(owner.dir());
      if (const auto at = message.rfind(check.console_log); at != std::string::npos) {
        message.replace(at, check.console_log.size(), kept);
      }
    } catch (const Error& copy_error) {
      spdlog::warn("could not keep the console log: {}", copy_error.what());
    }
    throw SshNotReady(message, e.details());
  }
}

} // namespace bcvk
