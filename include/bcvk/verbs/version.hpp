#pragma once
// `bcvk --version`: bcvk's own version and those of what it drives, as found on this host.
#include <string>

namespace bcvk {

// "bcvk X" and one line each for libvirt (the library bcvk uses), QEMU and podman ("not found"
// when missing). Asks no daemon: it must work when libvirtd is down, which is when one asks.
std::string version_report();

} // namespace bcvk
