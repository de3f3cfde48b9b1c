// `bcvk ephemeral start NAME`: boot a kept VM again, with the changes it made before.
#include "bcvk/cli/cli.hpp"
#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

void setup_ephemeral_start(CLI::App& ephemeral, Context& ctx) {
  add_single_vm_verb(ephemeral, "start", "Start a stopped ephemeral VM that was kept (no --rm)", "VM to start", ctx,
                     start_instance);
}

} // namespace bcvk
