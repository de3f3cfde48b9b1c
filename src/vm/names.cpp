#include "bcvk/vm/names.hpp"

#include "bcvk/util/error.hpp"
#include "bcvk/util/utf8.hpp"

#include <cctype>
#include <cstdio>

namespace bcvk {
namespace {

std::string hex_byte(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  return buf;
}

} // namespace

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

VmName VmName::parse(std::string_view text, std::string_view what) {
  if (!is_valid_name(text, k_max_vm_name)) {
    throw UsageError(std::string(what) + ": invalid VM name '" + printable(text) +
                     "': use letters, digits, '_', '.' and '-', starting with a letter or digit, at most " +
                     std::to_string(k_max_vm_name) + " characters");
  }
  return VmName(std::string(text));
}

std::optional<VmName> VmName::try_parse(std::string_view text) {
  if (!is_valid_name(text, k_max_vm_name)) {
    return std::nullopt;
  }
  return VmName(std::string(text));
}

std::vector<VmName> parse_vm_names(const std::vector<std::string>& texts) {
  std::vector<VmName> names;
  for (const auto& text : texts) {
    names.push_back(VmName::parse(text));
  }
  return names;
}

std::string uuid_from_bytes(const std::array<std::uint8_t, 16>& random) {
  std::array<std::uint8_t, 16> b = random;
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40); // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80); // RFC 4122 variant
  static const char k_hex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out += '-';
    }
    out += k_hex[b[i] >> 4];
    out += k_hex[b[i] & 0x0f];
  }
  return out;
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const char c = text[i];
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

VmName generate_vm_name(const std::function<std::uint32_t()>& random) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", random());
  return VmName::parse(std::string("bcvk-") + buf);
}

bool is_valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = utf8_sequence_length(text, i);
    if (len == 0) {
      return false;
    }
    i += len;
  }
  return true;
}

std::string printable(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = utf8_sequence_length(text, i);
    const auto c = static_cast<unsigned char>(text[i]);
    if (len == 0 || (len == 1 && is_ascii_control(c))) {
      out += hex_byte(c);
      ++i;
    } else if (is_c1_control(text.substr(i, len))) {
      out += hex_byte(c) + hex_byte(static_cast<unsigned char>(text[i + 1]));
      i += len;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

void check_plain_text(std::string_view option, std::string_view what, std::string_view text) {
  for (const char c : text) {
    if (is_ascii_control(static_cast<unsigned char>(c))) {
      throw UsageError(std::string(option) + ": " + std::string(what) + " '" + printable(text) +
                       "' contains a control character (0x" + hex_byte(static_cast<unsigned char>(c)).substr(2) +
                       "): remove it");
    }
  }
  if (!is_valid_utf8(text)) {
    throw UsageError(std::string(option) + ": " + std::string(what) + " '" + printable(text) +
                     "' is not valid UTF-8: use UTF-8 text");
  }
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (is_c1_control(text.substr(i, 2))) {
      throw UsageError(std::string(option) + ": " + std::string(what) + " '" + printable(text) +
                       "' contains a control character (U+00" +
                       hex_byte(static_cast<unsigned char>(text[i + 1])).substr(2) + "): remove it");
    }
  }
}

} // namespace bcvk
