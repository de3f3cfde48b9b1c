#pragma once
// Where libvirt's system daemon keeps the logs of each domain's emulator and its virtiofsd.
#include <optional>
#include <string>

namespace bcvk {

inline constexpr const char* k_libvirt_qemu_log_dir = "/var/log/libvirt/qemu";

// "QEMU crashed (libvirt's log: ...)" when the emulator that ran domain `name` last, on the libvirt
// at `uri`, crashed (see emulator_crash); nullopt when it did not, or when that libvirt keeps its
// logs elsewhere (anything but this host's system daemon).
std::optional<std::string> emulator_crash_message(const std::string& name, const std::string& uri);

} // namespace bcvk
