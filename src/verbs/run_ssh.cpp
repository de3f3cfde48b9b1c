// `ephemeral run-ssh`: a VM that lives for one SSH session and is always removed.

#include <spdlog/spdlog.h>

#include "bcvk/instance/services.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/verbs/verbs.hpp"
#include "bcvk/instance/prepare.hpp"
#include "bcvk/instance/ssh_startup.hpp"
#include "bcvk/instance/start.hpp"
#include "bcvk/ssh/remote.hpp"
#include "bcvk/verbs/remote_request.hpp"

namespace bcvk {
int run_ssh(const RunConfig& config, const std::vector<std::string>& command, const Context& ctx) {
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
  try {
    started.release(Disposition::remove);
  } catch (const std::exception& e) {
    // The remote command's status is what the user asked for; the leftovers are recovered later.
    spdlog::error("cleanup of {} failed: {}; 'bcvk ephemeral rm -f {}' retries it", started.owner().dir().name(),
                  e.what(), started.owner().dir().name());
  }
  return status;
}

} // namespace bcvk
