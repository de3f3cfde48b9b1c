#pragma once
// libvirt's event loop, run on a thread of its own so lifecycle events reach the watcher.

namespace bcvk {

// Starts libvirt's default event loop implementation once per process. Connection::open calls it:
// events are only delivered on connections opened after the loop exists.
void init_libvirt_events();

} // namespace bcvk
