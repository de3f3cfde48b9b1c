#include "bcvk/vm/names.hpp"

#include "bcvk/util/error.hpp"

#include <cctype>
#include <cstdio>

namespace bcvk {
namespace {

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

// U+0080..U+009F, encoded as C2 80..C2 9F: terminals act on some of them (U+009B starts a CSI).
bool is_c1_control(std::string_view sequence) {
  return sequence.size() == 2 && static_cast<unsigned char>(sequence[0]) == 0xc2 &&
         static_cast<unsigned char>(sequence[1]) < 0xa0;
}

// Length of the UTF-8 sequence starting at `i`, or 0 when it is not one (overlongs, surrogates
// and code points above U+10FFFF included).
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xbf;
  if (c < 0x80) {
    return 1;
  } else if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    lo = c == 0xe0 ? 0xa0 : 0x80;
    hi = c == 0xed ? 0x9f : 0xbf;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    lo = c == 0xf0 ? 0x90 : 0x80;
    hi = c == 0xf4 ? 0x8f : 0xbf;
  } else {
    return 0;
  }
  if (i + len > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) {
    return 0;
  }
  for (std::size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) {
      return 0;
    }
  }
  return len;
}

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

VmName generate_vm_name(const std::function<std::uint32_t()>& random) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", random());
  return VmName::parse(std::string("bcvk-") + buf);
}

bool is_valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = utf8_length(text, i);
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
    const std::size_t len = utf8_length(text, i);
    const auto c = static_cast<unsigned char>(text[i]);
    if (len == 0 || (len == 1 && is_control(c))) {
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
    if (is_control(static_cast<unsigned char>(c))) {
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
