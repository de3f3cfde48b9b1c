// `bcvk ephemeral logs NAME`: the guest journal, serial console or virtiofsd logs of a VM.

#include "bcvk/cli/verb.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

void setup_ephemeral_logs(CLI::App& ephemeral, Context& ctx) {
  const auto [cmd, o] = add_verb<LogsOptions>(ephemeral, "logs", "Show the logs of an ephemeral VM");
  cmd->add_option("NAME", o->name, "VM whose logs to show")->required();
  cmd->add_flag("-f,--follow", o->follow, "Keep printing new lines until the VM stops");
  cmd->add_flag("--console", o->console, "Show the serial console log instead of the journal");
  cmd->add_flag("--virtiofsd", o->virtiofsd, "Show the virtiofsd logs instead of the journal");
  cmd->callback([o = o, &ctx] { ctx.exit_status = show_logs(validate_logs_options(*o), ctx); });
}

} // namespace bcvk
