// Hidden verb: the background process that owns a detached VM until it stops.
#include <CLI/CLI.hpp>

#include <memory>

#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

void setup_ephemeral_supervise(CLI::App& ephemeral, Context& ctx) {
  auto name = std::make_shared<std::string>();
  CLI::App* cmd = ephemeral.add_subcommand("supervise", "Internal: watch a detached VM and clean up after it");
  cmd->group("");
  cmd->add_option("NAME", *name)->required();
  cmd->callback([name, &ctx] { ctx.exit_status = supervise_instance(VmName::parse(*name), ctx); });
}

} // namespace bcvk
