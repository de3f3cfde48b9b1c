#pragma once
// Wiring between the command line and the library: one setup function per verb.
#include <optional>
#include <string>
#include <vector>

#include "bcvk/verbs/context.hpp"
#include "bcvk/vm/names.hpp"
#include "bcvk/vm/run_options.hpp"

namespace CLI {
class App;
}

namespace bcvk {

// Declares bcvk's whole command line (verbs, options, callbacks filling `ctx`) on `app`: what runs,
// and what the man-page and completion checks read.
void declare_cli(CLI::App& app, Context& ctx);

// Runs bcvk with the given arguments and returns the process exit status. Never throws.
int run(int argc, char** argv);

// --authfile and --tls-verify, as run, run-ssh and `images pull` take them.
void add_registry_options(CLI::App& cmd, std::optional<std::string>& authfile, bool& tls_verify,
                          std::optional<std::string>& arch);

// Declares every option of `ephemeral run` (shared with `run-ssh`, which takes the same ones).
void add_run_options(CLI::App& cmd, RunOptions& options);

// `ephemeral run` ARGS (what follows "bcvk ephemeral run") parsed and validated exactly as the
// command does, without running anything. Throws CLI::ParseError or UsageError.
RunConfig parse_run_arguments(const std::vector<std::string>& args, unsigned host_cpus);

// A verb that takes exactly one VM NAME: the name is checked before `verb` runs.
using SingleVmVerb = int (*)(const VmName& name, const Context& ctx);
CLI::App* add_single_vm_verb(CLI::App& parent, const std::string& verb_name, const std::string& description,
                             const std::string& name_help, Context& ctx, SingleVmVerb verb);

void setup_ephemeral_run(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_run_ssh(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_ssh(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_ssh_config(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_ps(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_stop(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_stats(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_start(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_rm(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_inspect(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_logs(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_commit(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_supervise(CLI::App& ephemeral, Context& ctx);
void setup_images_list(CLI::App& images, Context& ctx);
void setup_images_pull(CLI::App& images, Context& ctx);
void setup_completion(CLI::App& app, Context& ctx);

} // namespace bcvk
