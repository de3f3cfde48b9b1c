// `bcvk ephemeral ssh NAME [COMMAND...]`: a shell or a command in a running VM.
#include <CLI/CLI.hpp>

#include <memory>

#include "bcvk/cli.hpp"

namespace bcvk {
namespace {

struct SshOptions {
  std::string name;
  std::vector<std::string> command;
  std::vector<std::string> local_forwards;
  std::vector<std::string> remote_forwards;
};

} // namespace

void setup_ephemeral_ssh(CLI::App& ephemeral, Context& /*ctx*/) {
  auto o = std::make_shared<SshOptions>();
  CLI::App* cmd = ephemeral.add_subcommand("ssh", "Open a shell in, or run a command on, a running VM");
  cmd->add_option("NAME", o->name, "VM to connect to")->required();
  cmd->add_option("COMMAND", o->command, "Command to run instead of a shell");
  cmd->add_option("-L", o->local_forwards, "Forward a local port, as in ssh -L")
      ->type_name("[BIND:]PORT:HOST:HOSTPORT");
  cmd->add_option("-R", o->remote_forwards, "Forward a remote port, as in ssh -R")
      ->type_name("[BIND:]PORT:HOST:HOSTPORT");
  cmd->positionals_at_end();
  cmd->callback([] { not_implemented("bcvk ephemeral ssh"); });
}

} // namespace bcvk
