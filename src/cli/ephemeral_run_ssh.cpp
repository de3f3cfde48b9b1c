// `bcvk ephemeral run-ssh IMAGE [-- COMMAND...]`: run, wait for SSH, connect, always remove.
#include <CLI/CLI.hpp>

#include <memory>
#include <thread>

#include "bcvk/cli/cli.hpp"
#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

void setup_ephemeral_run_ssh(CLI::App& ephemeral, Context& ctx) {
  auto options = std::make_shared<RunOptions>();
  auto command = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = ephemeral.add_subcommand("run-ssh", "Run an image, SSH into it, and remove it afterwards");
  add_run_options(*cmd, *options);
  cmd->add_option("COMMAND", *command, "Command to run over SSH (after --); a shell when omitted");
  cmd->footer("The VM is always removed when the session ends (success, failure or Ctrl-C); the exit status is "
              "the remote command's.");
  cmd->callback([options, command, &ctx] {
    const RunConfig config = validate_run_ssh_options(*options, std::thread::hardware_concurrency());
    ctx.exit_status = run_ssh(config, *command, ctx);
  });
}

} // namespace bcvk
