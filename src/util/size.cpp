#include "bcvk/util/size.hpp"

#include "bcvk/util/error.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

namespace bcvk {
namespace {

[[noreturn]] void bad_size(std::string_view option, std::string_view text) {
  throw UsageError(std::string(option) + ": invalid size '" + std::string(text) +
                   "': use a number with an optional K, M, G or T suffix, e.g. 4G, 2048M, 1.5G "
                   "(a plain number means MiB)");
}

std::uint64_t unit_for(char c) {
  switch (std::toupper(static_cast<unsigned char>(c))) {
  case 'K':
    return 1024ULL;
  case 'M':
    return k_mib;
  case 'G':
    return k_gib;
  case 'T':
    return k_tib;
  default:
    return 0;
  }
}

} // namespace

std::uint64_t parse_size(std::string_view option, std::string_view text) {
  std::size_t end = 0;
  bool seen_dot = false;
  while (end < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[end])) != 0 || (text[end] == '.' && !seen_dot))) {
    seen_dot = seen_dot || text[end] == '.';
    ++end;
  }
  const std::string_view number = text.substr(0, end);
  if (number.empty() || number == "." || number.front() == '.' || number.back() == '.') {
    bad_size(option, text);
  }
  std::string_view suffix = text.substr(end);
  std::uint64_t unit = k_mib;
  if (!suffix.empty()) {
    unit = unit_for(suffix.front());
    if (unit == 0) {
      bad_size(option, text);
    }
    suffix.remove_prefix(1);
    if (!suffix.empty() && (suffix.front() == 'i' || suffix.front() == 'I')) {
      suffix.remove_prefix(1);
    }
    if (!suffix.empty() && (suffix.front() == 'b' || suffix.front() == 'B')) {
      suffix.remove_prefix(1);
    }
    if (!suffix.empty()) {
      bad_size(option, text);
    }
  }
  double value = 0;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || ptr != number.data() + number.size() || !std::isfinite(value)) {
    bad_size(option, text);
  }
  const double bytes = value * static_cast<double>(unit);
  if (bytes >= 18446744073709551615.0) {
    bad_size(option, text);
  }
  return static_cast<std::uint64_t>(std::llround(bytes));
}

std::uint64_t parse_size_in_range(std::string_view option, std::string_view text, std::uint64_t min,
                                  std::uint64_t max) {
  const std::uint64_t bytes = parse_size(option, text);
  if (bytes < min || bytes > max) {
    throw UsageError(std::string(option) + ": size '" + std::string(text) + "' is out of range: use " +
                     format_size(min) + " to " + format_size(max));
  }
  return bytes;
}

std::string format_size(std::uint64_t bytes) {
  struct Unit {
    std::uint64_t size;
    const char* name;
  };
  static constexpr Unit units[] = {{k_tib, "TiB"}, {k_gib, "GiB"}, {k_mib, "MiB"}, {1024, "KiB"}};
  for (const auto& u : units) {
    if (bytes >= u.size) {
      if (bytes % u.size == 0) {
        return std::to_string(bytes / u.size) + " " + u.name;
      }
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.1f %s", static_cast<double>(bytes) / static_cast<double>(u.size), u.name);
      return buf;
    }
  }
  return std::to_string(bytes) + " B";
}

} // namespace bcvk
