#pragma once
// Names of VMs and of the things attached to them.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace bcvk {

inline constexpr std::size_t k_max_vm_name = 63;

// True when `name` matches [a-zA-Z0-9][a-zA-Z0-9_.-]* and is at most `max_length` long.
bool is_valid_name(std::string_view name, std::size_t max_length);

// Throws UsageError when `name` is not a valid VM name.
void check_vm_name(std::string_view name);

// A fresh VM name such as "bcvk-3fa9c2d1"; `random` supplies the entropy so tests stay deterministic.
std::string generate_vm_name(const std::function<std::uint32_t()>& random);

} // namespace bcvk
