// `ephemeral ssh`: a shell or a command in a running VM, with port forwards.

#include "bcvk/instance/services.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/verbs/verbs.hpp"
#include "bcvk/instance/instance_dir.hpp"
#include "bcvk/instance/instance_domain.hpp"
#include "bcvk/instance/ssh_startup.hpp"
#include "bcvk/ssh/readiness.hpp"
#include "bcvk/ssh/remote.hpp"
#include "bcvk/verbs/remote_request.hpp"

namespace bcvk {

int ssh_into_instance(const SshRequest& options, const Context& ctx) {
  RemoteRequest request = request_for(options.command, options.force_tty);
  request.forwards = options.forwards;
  const Services services(ctx.connect_uri, Recover::yes);
  const auto dir = InstanceDir::open_existing(options.name);
  const InstanceState state = dir.load();
  const SshTarget target = ssh_target_for(dir.path(), state);
  const std::string& name = options.name.str();
  const auto domain = instance_domain(services.conn, name, state);
  if (!domain || !domain->is_active()) {
    throw Error("VM " + name + " is not running; boot it again with 'bcvk ephemeral start " + name + "'");
  }
  // A VM just started may still be booting: the same stall watch as for a new one; the hard cap is
  // --ssh-timeout (its default, 240 s, whether emulated or not: a running VM is usually up).
  const ReadinessCheck check = readiness_check_for(*domain, dir, state.uri, options.timeout_seconds);
  const SshSession session = wait_for_ssh(target, check, *ctx.signals);
  return run_remote(session, request, *ctx.signals);
}

} // namespace bcvk
