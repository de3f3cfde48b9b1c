#pragma once
// The verbs that take several NAMEs (stop, rm) act on each in turn, like `podman rm a b`.
#include <functional>
#include <vector>

#include "bcvk/util/signals.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {

// Runs `act` for each VM: prints its name once done, or one error line when it throws Error, and
// goes on with the next. Returns 0 when all succeeded, else 125. A termination signal ends it
// (Interrupted) before the next VM and before returning.
int for_each_vm(const std::vector<VmName>& names, const std::function<void(const VmName&)>& act,
                SignalCatcher& signals);

} // namespace bcvk
