// `ephemeral supervise NAME` (internal): the process that owns a detached VM, see supervisor.hpp.
#include "bcvk/instance/supervisor.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

int supervise_instance(const VmName& name, const Context& ctx) {
  return supervise(name, ctx.connect_uri, *ctx.signals);
}

} // namespace bcvk
