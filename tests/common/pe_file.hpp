#pragma once
// Test images need unified kernel images: the smallest PE file bcvk's parser accepts.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace test_support {

// A minimal PE file with the given sections (name, payload).
inline std::string make_pe(const std::vector<std::pair<std::string, std::string>>& sections) {
  const std::size_t pe_offset = 0x40;
  const std::size_t optional_size = 0;
  const std::size_t table = pe_offset + 24 + optional_size;
  std::size_t data = table + sections.size() * 40;
  std::string bytes(data, '\0');
  bytes[0] = 'M';
  bytes[1] = 'Z';
  const auto put32 = [&](std::size_t off, std::uint32_t v) { std::memcpy(&bytes[off], &v, 4); };
  const auto put16 = [&](std::size_t off, std::uint16_t v) { std::memcpy(&bytes[off], &v, 2); };
  put32(0x3c, static_cast<std::uint32_t>(pe_offset));
  std::memcpy(&bytes[pe_offset], "PE\0\0", 4);
  put16(pe_offset + 6, static_cast<std::uint16_t>(sections.size()));
  put16(pe_offset + 20, static_cast<std::uint16_t>(optional_size));
  for (std::size_t i = 0; i < sections.size(); ++i) {
    const std::size_t entry = table + i * 40;
    std::memcpy(&bytes[entry], sections[i].first.data(), std::min<std::size_t>(8, sections[i].first.size()));
    const auto& payload = sections[i].second;
    const std::size_t padded = (payload.size() + 511) / 512 * 512;
    put32(entry + 8, static_cast<std::uint32_t>(payload.size()));
    put32(entry + 16, static_cast<std::uint32_t>(padded));
    put32(entry + 20, static_cast<std::uint32_t>(bytes.size()));
    bytes += payload + std::string(padded - payload.size(), '\0');
  }
  return bytes;
}

} // namespace test_support
