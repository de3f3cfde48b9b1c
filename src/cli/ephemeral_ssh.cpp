// `bcvk ephemeral ssh NAME [COMMAND...]`: a shell or a command in a running VM.

#include "bcvk/cli/verb.hpp"
#include "bcvk/cli/cli.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

void setup_ephemeral_ssh(CLI::App& ephemeral, Context& ctx) {
  const auto [cmd, o] = add_verb<SshOptions>(ephemeral, "ssh", "Open a shell in, or run a command on, a running VM");
  cmd->add_option("NAME", o->name, "VM to connect to (started with -K)")->required();
  cmd->add_option("-L", o->local_forwards, "Forward a host port to the guest side, as in ssh -L")
      ->type_name("[BIND:]PORT:HOST:HOSTPORT")
      ->allow_extra_args(false);
  cmd->add_option("-R", o->remote_forwards, "Forward a guest port to the host side, as in ssh -R")
      ->type_name("[BIND:]PORT:HOST:HOSTPORT")
      ->allow_extra_args(false);
  // Words after `--` land here; without `--`, prefix_command() below hands them over via remaining().
  cmd->add_option("COMMAND", o->command, "Command to run instead of a shell");
  cmd->add_flag("-t,--tty", o->force_tty, "Allocate a terminal even for a command");
  cmd->add_option("--ssh-timeout", o->timeout_seconds, "Seconds to wait for SSH to come up")->capture_default_str();
  cmd->footer("Everything after NAME that is not an option of this command is the command to run, as with ssh; "
              "its words are joined with spaces and run by the guest's shell. Use -- before a command whose "
              "words start with '-'. The exit status is the command's.");
  // Like ssh: the first word that is not ours starts the remote command, options included.
  cmd->prefix_command();
  cmd->fallthrough(false);
  cmd->callback([o = o, cmd = cmd, &ctx] {
    for (auto& word : cmd->remaining()) {
      o->command.push_back(std::move(word));
    }
    std::erase(o->command, std::string("--"));
    ctx.exit_status = ssh_into_instance(validate_ssh_options(*o), ctx);
  });
}

} // namespace bcvk
