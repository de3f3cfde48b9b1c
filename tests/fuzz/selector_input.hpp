#pragma once
// The input layout of the fuzz targets that cover several readers: the first byte picks the
// reader, the rest is the text it reads.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace bcvk::fuzz {

struct SelectorInput {
  unsigned selector;
  std::string text;
};

inline std::optional<SelectorInput> selector_input(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return std::nullopt;
  }
  return SelectorInput{data[0], std::string(reinterpret_cast<const char*>(data) + 1, size - 1)};
}

} // namespace bcvk::fuzz
