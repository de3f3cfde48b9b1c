// `bcvk ephemeral ps`: list ephemeral VMs.

#include "bcvk/cli/verb.hpp"
#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

void setup_ephemeral_ps(CLI::App& ephemeral, Context& ctx) {
  const auto [cmd, o] = add_verb<PsOptions>(ephemeral, "ps", "List ephemeral VMs (running ones unless -a)");
  cmd->alias("list");
  cmd->add_flag("-a,--all", o->all, "Also show stopped VMs that were kept");
  cmd->add_flag("-q,--quiet", o->quiet, "Print names only");
  cmd->add_flag("-s,--size", o->size, "Show what each VM's writes take on the host, of their limit");
  cmd->add_option("--format", o->format, "table or json")->capture_default_str();
  cmd->add_option("--filter", o->filters, "Only VMs matching, e.g. label=KEY=VALUE or label=KEY")
      ->type_name("FILTER")
      ->allow_extra_args(false); // one value per --filter: the next word is never swallowed
  cmd->callback([o = o, &ctx] { ctx.exit_status = list_instances(validate_ps_options(*o), ctx); });
}

} // namespace bcvk
