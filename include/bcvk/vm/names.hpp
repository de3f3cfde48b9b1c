#pragma once
// Names of VMs and of the things attached to them, and the checks every user-given text passes
// before it reaches a path, libvirt, JSON or the kernel command line.
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bcvk {

inline constexpr std::size_t k_max_vm_name = 63;

// True when `name` matches [a-zA-Z0-9][a-zA-Z0-9_.-]* and is at most `max_length` long.
bool is_valid_name(std::string_view name, std::size_t max_length);

// A VM name that passed the one name check: the only way to name an instance directory, so no
// unchecked string ("..", "a/b", "") can ever become a path below the state directory.
class VmName {
public:
  // Throws UsageError naming `what` (e.g. "--name" or "NAME") and the rule when `text` is invalid.
  static VmName parse(std::string_view text, std::string_view what = "NAME");
  // nullopt when `text` is not a valid name (for names found on disk).
  static std::optional<VmName> try_parse(std::string_view text);

  const std::string& str() const { return m_text; }
  bool operator==(const VmName&) const = default;
  auto operator<=>(const VmName&) const = default;

private:
  explicit VmName(std::string text) : m_text(std::move(text)) {}
  std::string m_text;
};

// Every name checked before any is used, so a bad one among several touches nothing.
std::vector<VmName> parse_vm_names(const std::vector<std::string>& texts);

// A fresh VM name such as "bcvk-3fa9c2d1"; `random` supplies the entropy so tests stay deterministic.
VmName generate_vm_name(const std::function<std::uint32_t()>& random);

// A random (version 4) UUID in libvirt's canonical form ("6b1c7a52-3f0e-4d7b-9a61-0c2e5f4d8e17")
// made from the 16 bytes `random` gives (pure).
std::string uuid_from_bytes(const std::array<std::uint8_t, 16>& random);

// True for a UUID in that form (lower-case hexadecimal, dashes at 8-4-4-4-12).
bool is_uuid(std::string_view text);

// `text` as it may be shown on a terminal: control characters and bytes that are not UTF-8 become
// \xNN, so a hostile value cannot send escape sequences through an error message.
std::string printable(std::string_view text);

bool is_valid_utf8(std::string_view text);

// Throws UsageError ("OPTION: WHAT ... contains a control character (0x0a): ...") when `text` has a
// control character or is not valid UTF-8. `what` names the value, e.g. "kernel argument".
void check_plain_text(std::string_view option, std::string_view what, std::string_view text);

} // namespace bcvk
