#pragma once
// Loopback ports for the guest's SSH forward.

namespace bcvk {

// A currently free TCP port on 127.0.0.1, chosen by the kernel. Another process could still take it
// before QEMU binds it; the kernel hands ports out in rotation, which makes that unlikely.
unsigned pick_loopback_port();

} // namespace bcvk
