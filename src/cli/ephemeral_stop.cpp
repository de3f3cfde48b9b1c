// `bcvk ephemeral stop NAME...`: shut VMs down gracefully, then by force after a timeout.

#include "bcvk/cli/verb.hpp"
#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

void setup_ephemeral_stop(CLI::App& ephemeral, Context& ctx) {
  const auto [cmd, o] = add_verb<StopOptions>(ephemeral, "stop", "Stop running ephemeral VMs");
  cmd->add_option("NAME", o->names, "VMs to stop")->required();
  cmd->add_option("--timeout", o->timeout_seconds, "Seconds to wait for a clean shutdown before forcing it")
      ->capture_default_str();
  cmd->add_flag("-f,--force", o->force, "Power off at once, without a clean shutdown");
  cmd->callback([o = o, &ctx] { ctx.exit_status = stop_instances(validate_stop_options(*o), ctx); });
}

} // namespace bcvk
