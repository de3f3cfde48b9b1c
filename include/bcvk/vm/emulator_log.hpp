#pragma once
// Reading libvirt's per-domain log of the emulator (QEMU): it appends each run of a domain of
// that name, with its own lines ("starting up", "shutting down, reason=...") between QEMU's.
#include <optional>
#include <string>
#include <string_view>

namespace bcvk {

// When the last run in `log` (the end of the log is enough) ended with libvirt's
// "reason=crashed", a one-line account: QEMU's own last words before it, if any, then libvirt's
// line. nullopt when the last run did not crash (or has not ended).
std::optional<std::string> emulator_crash(std::string_view log);

// libvirt keeps one virtiofsd log per shared directory, named after the domain and the device's
// alias: NAME-fsN-virtiofsd.log. True for exactly those of VM `name`, so VM "a" never claims VM
// "a-fs1"'s logs.
bool is_virtiofsd_log_of(std::string_view file, std::string_view name);

} // namespace bcvk
