#pragma once
// systemd credentials as SMBIOS type-11 OEM strings.
#include <string>
#include <string_view>

namespace bcvk {

// Standard base64 with padding (RFC 4648).
std::string base64_encode(std::string_view bytes);
// The inverse; throws Error on characters outside the alphabet or a truncated group.
std::string base64_decode(std::string_view text);

// "io.systemd.credential.binary:NAME=BASE64": systemd imports it as credential NAME at boot.
// Throws Error when `name` is not a valid credential name.
std::string smbios_credential_entry(std::string_view name, std::string_view value);

} // namespace bcvk
