// `ephemeral run-ssh`: a VM that lives for one SSH session and is always removed.

#include "bcvk/instance/services.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/verbs/verbs.hpp"
#include "bcvk/instance/prepare.hpp"
#include "bcvk/instance/ssh_startup.hpp"
#include "bcvk/instance/start.hpp"
#include "bcvk/ssh/remote.hpp"
#include "bcvk/verbs/remote_request.hpp"

namespace bcvk {
namespace {

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

int run_ssh(RunConfig config, const std::vector<std::string>& command, const Context& ctx) {
  reject_for_run_ssh(config);
  config.ssh_keygen = true;
  config.rm = true;
  // This process owns the VM for the whole session: libvirt destroys it if bcvk dies.
  config.detach = false;
  SignalCatcher& signals = *ctx.signals;
  Services services(ctx.connect_uri, Recover::yes);
  PreparedInstance prepared = prepare_instance(config, services.conn, services.store, services.runner, signals);
  signals.checkpoint();
  // Whatever happens from here on, `started` powers the VM off before the instance is removed.
  StartedInstance started = start_instance_domain(services.conn, std::move(prepared.owner), prepared.domain_xml,
                                                  StartMode{.autodestroy = true});
  int status = 0;
  {
    const SshSession session =
        await_ssh_on_new_vm(started.domain(), started.owner(), config.ssh_timeout_seconds, signals);
    status = run_remote(session, request_for(command, false), signals);
  }
  started.release(Disposition::remove);
  return status;
}

} // namespace bcvk
