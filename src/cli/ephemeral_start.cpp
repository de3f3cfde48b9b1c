// `bcvk ephemeral start NAME`: boot a kept VM again, with the changes it made before.
#include <CLI/CLI.hpp>

#include <memory>

#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

void setup_ephemeral_start(CLI::App& ephemeral, Context& ctx) {
  auto name = std::make_shared<std::string>();
  CLI::App* cmd = ephemeral.add_subcommand("start", "Start a stopped ephemeral VM that was kept (no --rm)");
  cmd->add_option("NAME", *name, "VM to start")->required();
  cmd->callback([name, &ctx] { ctx.exit_status = start_instance(VmName::parse(*name), ctx); });
}

} // namespace bcvk
