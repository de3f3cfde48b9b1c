// `bcvk ephemeral ssh-config NAME...|--all`: OpenSSH configuration for running VMs.

#include "bcvk/cli/verb.hpp"
#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

void setup_ephemeral_ssh_config(CLI::App& ephemeral, Context& ctx) {
  const auto [cmd, o] = add_verb<SshConfigOptions>(ephemeral, "ssh-config",
                                                   "Print OpenSSH configuration for running VMs (for scp, rsync...)");
  cmd->add_option("NAME", o->names, "VMs to configure (started with -K)");
  cmd->add_flag("-a,--all", o->all, "Every running VM that has SSH keys");
  cmd->footer("Use it as 'bcvk ephemeral ssh-config NAME > FILE; scp -F FILE local NAME:/remote', or with an "
              "'Include FILE' line at the top of ~/.ssh/config. Host keys are checked strictly against the key bcvk "
              "generated for each VM.");
  cmd->callback([o = o, &ctx] { ctx.exit_status = print_ssh_config(validate_ssh_config_options(*o), ctx); });
}

} // namespace bcvk
