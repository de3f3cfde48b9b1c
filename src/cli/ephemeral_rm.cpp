// `bcvk ephemeral rm NAME...`: delete VMs and everything they hold.

#include "bcvk/cli/verb.hpp"
#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

void setup_ephemeral_rm(CLI::App& ephemeral, Context& ctx) {
  const auto [cmd, o] = add_verb<RmOptions>(ephemeral, "rm", "Remove ephemeral VMs and their state");
  cmd->add_option("NAME", o->names, "VMs to remove");
  cmd->add_flag("-a,--all", o->all, "Remove every ephemeral VM");
  cmd->add_flag("-f,--force", o->force, "Also remove running VMs (they are powered off first)");
  cmd->add_flag("--forget", o->forget,
                "Also remove VMs whose libvirt connection is gone for good, once no process on this host uses "
                "their files");
  cmd->callback([o = o, &ctx] { ctx.exit_status = remove_instances(validate_rm_options(*o), ctx); });
}

} // namespace bcvk
