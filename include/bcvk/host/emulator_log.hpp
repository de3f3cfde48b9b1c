#pragma once
// Where libvirt's system daemon keeps the logs of each domain's emulator and its virtiofsd.
#include <optional>
#include <string>

namespace bcvk {

inline constexpr const char* k_libvirt_qemu_log_dir = "/var/log/libvirt/qemu";

// The account of a crash of the emulator that ran domain `name` last (see emulator_crash), from
// the end of its log; nullopt when it did not crash or there is no log to read.
std::optional<std::string> emulator_crash_of(const std::string& name);

} // namespace bcvk
