#include "bcvk/names.hpp"

#include "bcvk/error.hpp"

#include <cctype>
#include <cstdio>

namespace bcvk {

bool is_valid_name(std::string_view name, std::size_t max_length) {
  if (name.empty() || name.size() > max_length || std::isalnum(static_cast<unsigned char>(name[0])) == 0) {
    return false;
  }
  for (const char c : name) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-';
    if (!ok || static_cast<unsigned char>(c) > 127) {
      return false;
    }
  }
  return true;
}

void check_vm_name(std::string_view name) {
  if (!is_valid_name(name, k_max_vm_name)) {
    throw UsageError("--name: invalid VM name '" + std::string(name) +
                     "': use letters, digits, '_', '.' and '-', starting with a letter or digit, at most " +
                     std::to_string(k_max_vm_name) + " characters");
  }
}

std::string generate_vm_name(const std::function<std::uint32_t()>& random) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", random());
  return std::string("bcvk-") + buf;
}

} // namespace bcvk
