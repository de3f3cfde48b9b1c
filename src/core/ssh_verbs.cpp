// `ephemeral ssh` (into a running VM) and `ephemeral run-ssh` (a VM that lives for one session).
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "bcvk/launcher.hpp"
#include "bcvk/runtime.hpp"
#include "bcvk/services.hpp"
#include "bcvk/ssh_io.hpp"
#include "bcvk/ssh_ready.hpp"
#include "bcvk/ssh_startup.hpp"

namespace bcvk {
namespace {

bool interactive_terminal() {
  return ::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1;
}

RemoteRequest request_for(const std::vector<std::string>& command, bool force_tty) {
  RemoteRequest request;
  request.command = remote_command_line(command);
  // As OpenSSH: a terminal for an interactive shell, none for a command unless asked for.
  request.pty = force_tty || (command.empty() && interactive_terminal());
  return request;
}

void reject_for_run_ssh(const RunConfig& config) {
  const auto refuse = [](const std::string& option, const std::string& fix) {
    throw UsageError("run-ssh: " + option + " cannot be used here: " + fix);
  };
  if (!config.execute.empty()) {
    refuse("--execute", "put the command after '--' (run-ssh IMAGE -- COMMAND)");
  }
  if (config.console || config.tty || config.interactive) {
    refuse("--console/-t/-i", "the terminal belongs to the SSH session; use 'bcvk ephemeral run' for the console");
  }
  if (config.debug || !config.debug_entrypoint.empty()) {
    refuse("--debug/--debug-entrypoint", "use 'bcvk ephemeral run' to inspect what would be started");
  }
  if (config.network.mode == NetworkMode::none) {
    refuse("--network none", "SSH needs the network; drop --network none");
  }
}

} // namespace

int ssh_into_instance(const SshOptions& options, const Context& ctx) {
  RemoteRequest request = request_for(options.command, options.force_tty);
  for (const auto& spec : options.local_forwards) {
    request.forwards.push_back(parse_forward(ForwardDirection::local, spec));
  }
  for (const auto& spec : options.remote_forwards) {
    request.forwards.push_back(parse_forward(ForwardDirection::remote, spec));
  }
  const auto dir = InstanceDir::open_existing(VmName::parse(options.name));
  const InstanceState state = dir.load();
  const SshTarget target = ssh_target_for(dir, state);
  const Connection conn = Connection::open(ctx.connect_uri);
  const auto domain = conn.find(options.name);
  if (!domain || !domain->is_active()) {
    throw Error("VM " + options.name + " is not running; boot it again with 'bcvk ephemeral start " + options.name +
                "'");
  }
  ReadinessCheck check;
  check.timeout = std::chrono::seconds(options.timeout_seconds);
  check.vm_running = [&domain] { return domain->is_active(); };
  check.console_log = dir.console_log();
  const SshSession session = wait_for_ssh(target, check, *ctx.signals);
  return run_remote(session, request, *ctx.signals);
}

int run_ssh(RunConfig config, const std::vector<std::string>& command, const Context& ctx) {
  reject_for_run_ssh(config);
  config.ssh_keygen = true;
  config.rm = true;
  // This process owns the VM for the whole session: libvirt destroys it if bcvk dies.
  config.detach = false;
  SignalCatcher& signals = *ctx.signals;
  Services services(ctx);
  PreparedInstance prepared = prepare_instance(config, services.conn, services.store, services.runner, signals);
  InstanceOwner& owner = *prepared.owner;
  signals.checkpoint();
  const Domain domain = services.conn.create(prepared.domain_xml, StartMode{.autodestroy = true});
  // Runs before the owner lets go (declared later): the VM is off before its mounts go away.
  ScopeExit power_off([&domain] { domain.destroy_on_cleanup(); });
  owner.state().phase = Phase::running;
  owner.save();
  spdlog::info("started VM {} for an SSH session", domain.name());
  int status = 0;
  {
    const SshSession session = await_ssh_on_new_vm(domain, owner, config.ssh_timeout_seconds, signals);
    status = run_remote(session, request_for(command, false), signals);
  }
  return status;
}

} // namespace bcvk
