// Hidden verb: the background process that owns a detached VM until it stops.
#include <CLI/CLI.hpp>

#include "bcvk/cli/cli.hpp"
#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

void setup_ephemeral_supervise(CLI::App& ephemeral, Context& ctx) {
  add_single_vm_verb(ephemeral, "supervise", "Internal: watch a detached VM and clean up after it", "VM to supervise",
                     ctx, supervise_instance)
      ->group("");
}

} // namespace bcvk
