// `bcvk ephemeral rm NAME...`: delete VMs and everything they hold.
#include <CLI/CLI.hpp>

#include <memory>

#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

void setup_ephemeral_rm(CLI::App& ephemeral, Context& ctx) {
  auto o = std::make_shared<RmOptions>();
  CLI::App* cmd = ephemeral.add_subcommand("rm", "Remove ephemeral VMs and their state");
  cmd->add_option("NAME", o->names, "VMs to remove");
  cmd->add_flag("-a,--all", o->all, "Remove every ephemeral VM");
  cmd->add_flag("-f,--force", o->force, "Also remove running VMs (they are powered off first)");
  cmd->callback([o, &ctx] { ctx.exit_status = remove_instances(validate_rm_options(*o), ctx); });
}

} // namespace bcvk
