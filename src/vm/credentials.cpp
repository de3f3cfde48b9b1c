#include "bcvk/vm/credentials.hpp"

#include "bcvk/util/error.hpp"

#include <array>
#include <cstdint>

namespace bcvk {

std::string base64_encode(std::string_view bytes) {
  static constexpr std::array<char, 64> k_alphabet{
      'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T', 'U', 'V',
      'W', 'X', 'Y', 'Z', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r',
      's', 't', 'u', 'v', 'w', 'x', 'y', 'z', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '+', '/'};
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                            static_cast<unsigned char>(bytes[i + 2]);
    out += k_alphabet[(n >> 18) & 63];
    out += k_alphabet[(n >> 12) & 63];
    out += k_alphabet[(n >> 6) & 63];
    out += k_alphabet[n & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) {
      n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    }
    out += k_alphabet[(n >> 18) & 63];
    out += k_alphabet[(n >> 12) & 63];
    out += rest == 2 ? k_alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  const auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') {
      return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
      return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
      return c - '0' + 52;
    }
    return c == '+' ? 62 : c == '/' ? 63 : -1;
  };
  while (!text.empty() && text.back() == '=') {
    text.remove_suffix(1);
  }
  if (text.size() % 4 == 1) {
    throw Error("truncated base64 text");
  }
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : text) {
    const int v = value(c);
    if (v < 0) {
      throw Error("invalid character in base64 text");
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

namespace {

void check_credential_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.find_first_of("/=\n ") != std::string_view::npos) {
    throw Error("invalid systemd credential name '" + std::string(name) + "'");
  }
}

} // namespace

std::string smbios_credential_entry(std::string_view name, std::string_view value) {
  check_credential_name(name);
  return "io.systemd.credential.binary:" + std::string(name) + "=" + base64_encode(value);
}

std::string fw_cfg_credential_name(std::string_view name) {
  check_credential_name(name);
  std::string path = std::string(k_fw_cfg_credentials_dir) + std::string(name);
  if (path.size() > k_fw_cfg_max_name) {
    throw Error("systemd credential name '" + std::string(name) + "' is too long for QEMU's fw_cfg (" +
                std::to_string(k_fw_cfg_max_name - std::string_view(k_fw_cfg_credentials_dir).size()) +
                " characters at most)");
  }
  return path;
}

std::string fw_cfg_credential_text(std::string_view name, std::string_view value) {
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    // libvirt puts the text into QEMU's "-fw_cfg name=N,string=TEXT" without doubling commas (a
    // comma would start another option, e.g. file= naming a host file for QEMU to read) and with
    // XML's characters escaped as entities: none of those may pass.
    if ((byte < 0x20 && c != '\n' && c != '\t') || byte >= 0x7f ||
        std::string_view(",&<>'\"").find(c) != std::string_view::npos) {
      throw Error("systemd credential '" + std::string(name) +
                  "' holds characters that cannot travel over QEMU's fw_cfg as text");
    }
  }
  return std::string(value);
}

Credential authorized_keys_credential(const std::string& public_key_line) {
  std::string value = public_key_line;
  if (value.empty() || value.back() != '\n') {
    value += '\n';
  }
  return {k_authorized_keys_credential, value};
}

} // namespace bcvk
