// `bcvk ephemeral inspect NAME`: everything bcvk knows about one VM, as JSON.
#include <CLI/CLI.hpp>

#include <memory>

#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

void setup_ephemeral_inspect(CLI::App& ephemeral, Context& ctx) {
  auto name = std::make_shared<std::string>();
  CLI::App* cmd = ephemeral.add_subcommand("inspect", "Show details of an ephemeral VM as JSON");
  cmd->add_option("NAME", *name, "VM to inspect")->required();
  cmd->callback([name, &ctx] { ctx.exit_status = inspect_instance(VmName::parse(*name), ctx); });
}

} // namespace bcvk
