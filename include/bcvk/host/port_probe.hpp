#pragma once
// Whether a --port forward's host side can be had right now.
#include "bcvk/vm/port_spec.hpp"

namespace bcvk {

// Binds the forward's host address and port briefly, as QEMU will; throws UsageError naming the
// forward when the port is in use or the address is not one of this host's.
void require_free_port(const PortForward& forward);

} // namespace bcvk
