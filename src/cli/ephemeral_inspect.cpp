// `bcvk ephemeral inspect NAME`: everything bcvk knows about one VM, as JSON.
#include "bcvk/cli/cli.hpp"
#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

void setup_ephemeral_inspect(CLI::App& ephemeral, Context& ctx) {
  add_single_vm_verb(ephemeral, "inspect", "Show details of an ephemeral VM as JSON", "VM to inspect", ctx,
                     inspect_instance);
}

} // namespace bcvk
