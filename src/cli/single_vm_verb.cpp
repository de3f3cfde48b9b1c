

#include "bcvk/cli/verb.hpp"
#include "bcvk/cli/cli.hpp"

namespace bcvk {

CLI::App* add_single_vm_verb(CLI::App& parent, const std::string& verb_name, const std::string& description,
                             const std::string& name_help, Context& ctx, SingleVmVerb verb) {
  const auto [cmd, name] = add_verb<std::string>(parent, verb_name, description);
  cmd->add_option("NAME", *name, name_help)->required();
  cmd->callback([name = name, &ctx, verb] { ctx.exit_status = verb(VmName::parse(*name), ctx); });
  return cmd;
}

} // namespace bcvk
