// The `ephemeral run` verb: prepare, start, then either hand over to a supervisor or wait.
#include <fcntl.h>
#include <unistd.h>

#include <iostream>

#include <spdlog/spdlog.h>

#include "bcvk/host/console.hpp"
#include "bcvk/host/emulator_log.hpp"
#include "bcvk/util/handle.hpp"
#include "bcvk/instance/execute_start_watch.hpp"
#include "bcvk/instance/guest_watch.hpp"
#include "bcvk/instance/prepare.hpp"
#include "bcvk/instance/start.hpp"
#include "bcvk/host/process.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/log.hpp"
#include "bcvk/verbs/verbs.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/vm/boot_progress.hpp"
#include "bcvk/vm/ssh_wait.hpp"
#include "bcvk/instance/services.hpp"
#include "bcvk/instance/ssh_startup.hpp"
#include "bcvk/host/file_follower.hpp"
#include "bcvk/host/watcher.hpp"

namespace bcvk {
namespace {

// Enough of the logs' ends to find why a guest powered off early.
constexpr std::size_t k_boot_failure_window = 64 * 1024;

int run_debug_entrypoint(const RunConfig& config, InstanceOwner& owner) {
  InstanceDir& dir = owner.dir();
  const std::map<std::string, std::string> env{
      {"BCVK_NAME", dir.name()},          {"BCVK_INSTANCE_DIR", dir.path()},
      {"BCVK_ROOTFS", dir.root_dir()},    {"BCVK_DOMAIN_XML", dir.domain_xml_file()},
      {"BCVK_KERNEL", dir.kernel_file()}, {"BCVK_INITRD", dir.initrd_file()}};
  spdlog::info("running {} instead of starting the VM", config.debug_entrypoint);
  return run_attached({"/bin/sh", "-c", config.debug_entrypoint}, env);
}

// The status the guest reported for --execute, or nullopt if it never got that far.
std::optional<int> read_execute_status(const std::string& path) {
  try {
    // The guest writes this file: read no more than a status can be.
    const Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    char buf[16] = {};
    const ssize_t n = fd ? ::read(fd.get(), buf, sizeof buf - 1) : -1;
    if (n <= 0) {
      return std::nullopt;
    }
    const std::string text(buf, static_cast<std::size_t>(n));
    const int status = std::stoi(text);
    return status >= 0 && status <= 255 ? std::optional<int>(status) : std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

int wait_in_foreground(const RunConfig& config, const Connection& conn, StartedInstance& started,
                       SignalCatcher& signals) {
  const Domain& domain = started.domain();
  InstanceOwner& owner = started.owner();
  const bool interactive_console = config.tty || config.interactive;
  std::optional<FileFollower> follower;
  if (config.console && !interactive_console) {
    follower.emplace(owner.dir().console_log(), STDOUT_FILENO, guest_output_for(STDOUT_FILENO));
  }
  std::optional<RawTerminal> raw;
  std::optional<ConsoleSession> console;
  InputWatch input;
  if (interactive_console) {
    if (config.tty) {
      raw.emplace();
    }
    // -t asks for a real terminal: the guest's bytes reach it as they are.
    console.emplace(conn, domain, config.interactive, config.tty ? GuestOutput::raw : guest_output_for(STDOUT_FILENO));
    input = {STDIN_FILENO, [&console] { return console->forward_input(); }};
  }
  std::vector<FileFollower> outputs;
  const ExecuteOutputs execute = owner.dir().execute_outputs();
  if (!config.execute.empty()) {
    // Programs of the image write these: on a terminal they are shown harmless too, unless -t
    // asked for the guest's own terminal.
    outputs.emplace_back(execute.stdout_path, STDOUT_FILENO,
                         config.tty ? GuestOutput::raw : guest_output_for(STDOUT_FILENO));
    outputs.emplace_back(execute.stderr_path, STDERR_FILENO,
                         config.tty ? GuestOutput::raw : guest_output_for(STDERR_FILENO));
  }
  std::optional<ExecuteStartWatch> execute_start;
  if (!config.execute.empty()) {
    execute_start.emplace(owner.dir(), domain.name(),
                          ssh_wait_limits(config.ssh_timeout_seconds, instance_is_emulated(owner.dir())),
                          ProgressWatch::Clock::now());
  }
  std::string stuck; // why the wait gave up on the guest, with the console log to read
  const auto pump = [&follower, &outputs, &execute_start, &owner, &domain, &stuck] {
    if (follower) {
      follower->pump();
    }
    for (auto& out : outputs) {
      out.pump();
    }
    if (execute_start && stuck.empty()) {
      if (const auto why =
              execute_start->check(ProgressWatch::Clock::now(), [&domain] { return domain.is_active(); })) {
        // Named now, while the instance (and its console log, even with --rm) still exists.
        stuck = *why + "; bcvk powered it off; see its console log " +
                console_log_to_name(owner.dir(), owner.state().auto_remove);
        return false;
      }
    }
    return true;
  };
  const bool streaming = follower || !outputs.empty();
  const StopResult result =
      wait_for_stop(conn, domain, &signals, streaming ? TickFn(pump) : TickFn(), streaming ? 100 : 1000, input);
  pump();
  if (follower) {
    follower->finish();
  }
  for (auto& out : outputs) {
    out.finish();
  }
  const std::optional<int> command_status =
      config.execute.empty() ? std::nullopt : read_execute_status(execute.status_path);
  // Read while the instance (with --rm) still exists: why a guest powered off before its commands ran.
  const std::string boot_failure =
      config.execute.empty() || command_status
          ? std::string()
          : likely_boot_failure(read_file_tail(owner.dir().journal_log(), k_boot_failure_window),
                                read_file_tail(owner.dir().console_log(), k_boot_failure_window));
  console.reset();
  raw.reset();
  if (result.reason == StopReason::connection_lost) {
    // libvirtd went away (a restart, a crash): the VM may run on, so nothing of it is touched.
    started.leave_to_recovery();
    throw Error("lost the connection to libvirt while VM " + domain.name() +
                " ran: it is left as it is, storage included; the next bcvk command (e.g. 'bcvk ephemeral ps') "
                "gives it a supervisor if it still runs, or releases it");
  }
  // Powers the VM off first when it still runs (a signal, a detach).
  started.release(config.rm ? Disposition::remove : Disposition::keep);
  if (!config.rm) {
    spdlog::warn("VM {} stopped and was kept: 'bcvk ephemeral start {}' boots it again, 'bcvk ephemeral rm {}' "
                 "removes it",
                 domain.name(), domain.name(), domain.name());
  }
  switch (result.reason) {
  case StopReason::signalled:
    throw Interrupted(result.signal);
  case StopReason::given_up:
    throw Error(stuck);
  case StopReason::crashed: {
    const auto crash = emulator_crash_message(domain.name(), conn.uri());
    throw Error("VM " + domain.name() + " crashed" + (crash ? ": " + *crash : std::string()) + "; see its console log" +
                (config.rm ? std::string() : " with 'bcvk ephemeral logs --console " + domain.name() + "'"));
  }
  default:
    break;
  }
  if (!config.execute.empty()) {
    if (!command_status) {
      throw Error("the VM powered off before the --execute commands finished" +
                  (boot_failure.empty() ? std::string() : " (" + boot_failure + ")") + "; see its console log" +
                  (config.rm ? std::string(" (run again with --console)") : " with 'bcvk ephemeral logs --console'"));
    }
    return *command_status;
  }
  return k_exit_ok;
}

} // namespace

int run_ephemeral(const RunConfig& config, const Context& ctx) {
  SignalCatcher& signals = *ctx.signals;
  Services services(ctx.connect_uri, Recover::yes);
  const Connection& conn = services.conn;
  PreparedInstance prepared = prepare_instance(config, conn, services.store, services.runner, signals);
  InstanceOwner& owner = *prepared.owner;
  if (config.debug) {
    std::cout << prepared.domain_xml << std::flush;
    std::cerr << "instance directory: " << owner.dir().path() << "\nroot file system:   " << owner.dir().root_dir()
              << "\nkernel:             " << owner.dir().kernel_file() << "\n"
              << "(--debug: nothing was started; everything is removed again)\n";
    owner.release(Disposition::remove);
    return k_exit_ok;
  }
  if (!config.debug_entrypoint.empty()) {
    const int status = run_debug_entrypoint(config, owner);
    owner.release(Disposition::remove);
    return status;
  }
  signals.checkpoint();
  log_stage("domain create");
  StartedInstance started = start_instance_domain(conn, std::move(prepared.owner), prepared.domain_xml,
                                                  StartMode{.autodestroy = !config.detach});
  if (config.detach) {
    if (config.ssh_keygen) {
      log_stage("ssh wait");
      await_ssh_on_new_vm(started.domain(), started.owner(), config.ssh_timeout_seconds, signals);
    }
    log_stage("supervisor hand-off");
    started.hand_to_supervisor(conn.uri());
    std::cout << started.domain().name() << std::endl;
    return k_exit_ok;
  }
  return wait_in_foreground(config, conn, started, signals);
}

} // namespace bcvk
