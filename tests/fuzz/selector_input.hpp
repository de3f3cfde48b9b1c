#pragma once
// The fuzz targets that cover several readers share one input layout: the first byte picks the
// reader, the rest is the text it reads. A reader may refuse its text (bcvk::Error); anything else
// escapes to libFuzzer as a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "bcvk/util/error.hpp"

namespace bcvk::fuzz {

// Calls read(selector, text) for the input, if it has a selector byte; returns 0 for libFuzzer.
template <typename Read> int read_selected(const std::uint8_t* data, std::size_t size, Read read) {
  if (size == 0) {
    return 0;
  }
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    read(unsigned{data[0]}, text);
  } catch (const Error&) {
  }
  return 0;
}

} // namespace bcvk::fuzz
