// Hidden verb `bcvk completion SHELL`: prints the completion script packagers install (and users
// may source), e.g. `source <(bcvk completion bash)`.
#include <iostream>

#include "bcvk/cli/cli.hpp"
#include "bcvk/cli/completion.hpp"
#include "bcvk/cli/verb.hpp"
#include "bcvk/util/error.hpp"

namespace bcvk {

namespace {
struct CompletionOptions {
  std::string shell;
};
} // namespace

void setup_completion(CLI::App& app, Context& ctx) {
  const auto [cmd, o] = add_verb<CompletionOptions>(app, "completion", "Print the shell completion script");
  cmd->group("");
  cmd->add_option("SHELL", o->shell, "bash, zsh or fish")->required();
  cmd->callback([o = o, &ctx] {
    std::cout << completion_script(o->shell);
    ctx.exit_status = k_exit_ok;
  });
}

} // namespace bcvk
