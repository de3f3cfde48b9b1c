#include "bcvk/vm/guest_init_binary.hpp"

#include <utility>

namespace bcvk {

// Generated with the binaries themselves (build/generated/guest_init_binaries.cpp).
const std::vector<std::pair<std::string_view, std::string_view>>& embedded_guest_inits();

std::optional<std::string_view> guest_init_binary(std::string_view arch) {
  for (const auto& [name, bytes] : embedded_guest_inits()) {
    if (name == arch) {
      return bytes;
    }
  }
  return std::nullopt;
}

std::vector<std::string> guest_init_architectures() {
  std::vector<std::string> arches;
  for (const auto& entry : embedded_guest_inits()) {
    arches.emplace_back(entry.first);
  }
  return arches;
}

} // namespace bcvk
