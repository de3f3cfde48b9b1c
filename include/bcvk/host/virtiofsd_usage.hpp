#pragma once
// The virtiofsd processes that serve a running VM's shares (its root and its binds), found through
// the pid files libvirt keeps for them, and what they cost: resident memory and I/O.
#include <optional>
#include <string>

#include "bcvk/vm/vm_stats.hpp"

namespace bcvk {

// Where libvirt's QEMU driver keeps a running domain's pid files (its state directory).
inline constexpr const char* k_libvirt_qemu_run_dir = "/run/libvirt/qemu";

// The summed usage of the domain's virtiofsd processes and their children (a virtiofsd may fork a
// sandboxed worker); empty when none is found. Each process is read through a descriptor of its
// /proc directory and must call itself virtiofsd, so a pid reused meanwhile is not counted.
std::optional<HelperUsage> virtiofsd_usage(int domain_id, const std::string& domain_name,
                                           const std::string& run_dir = k_libvirt_qemu_run_dir);

} // namespace bcvk
