#pragma once
// Human size strings ("4G", "2048M", "1.5G", "512") to bytes.
#include <cstdint>
#include <string>
#include <string_view>

namespace bcvk {

inline constexpr std::uint64_t k_mib = 1024ULL * 1024ULL;
inline constexpr std::uint64_t k_gib = 1024ULL * k_mib;
inline constexpr std::uint64_t k_tib = 1024ULL * k_gib;

// Parses a size; a plain number means MiB. Suffixes K, M, G, T (optionally followed by "i" and/or
// "B", any case). Throws UsageError naming `option` on anything else.
std::uint64_t parse_size(std::string_view option, std::string_view text);

// Parses a size and checks it lies in [min, max], naming the accepted range on failure.
std::uint64_t parse_size_in_range(std::string_view option, std::string_view text, std::uint64_t min, std::uint64_t max);

// "4 GiB", "1.5 GiB", "512 MiB": for messages and tables.
std::string format_size(std::uint64_t bytes);

} // namespace bcvk
