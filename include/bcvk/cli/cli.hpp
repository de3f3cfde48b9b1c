#pragma once
// Wiring between the command line and the library: one setup function per verb.
#include <string>

#include "bcvk/verbs/context.hpp"

namespace CLI {
class App;
}

namespace bcvk {

// Runs bcvk with the given arguments and returns the process exit status. Never throws.
int run(int argc, char** argv);

void setup_ephemeral_run(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_run_ssh(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_ssh(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_ps(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_stop(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_start(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_rm(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_inspect(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_logs(CLI::App& ephemeral, Context& ctx);
void setup_ephemeral_supervise(CLI::App& ephemeral, Context& ctx);
void setup_images_list(CLI::App& images, Context& ctx);

} // namespace bcvk
