#pragma once
// systemd credentials as SMBIOS type-11 OEM strings.
#include <string>
#include <string_view>

#include "bcvk/vm/vm_spec.hpp"

namespace bcvk {

// Standard base64 with padding (RFC 4648).
std::string base64_encode(std::string_view bytes);
// The inverse; throws Error on characters outside the alphabet or a truncated group.
std::string base64_decode(std::string_view text);

// "io.systemd.credential.binary:NAME=BASE64": systemd imports it as credential NAME at boot.
// Throws Error when `name` is not a valid credential name.
std::string smbios_credential_entry(std::string_view name, std::string_view value);

// systemd turns this credential into /root/.ssh/authorized_keys (via its tmpfiles provisioning).
inline constexpr const char* k_authorized_keys_credential = "ssh.authorized_keys.root";
Credential authorized_keys_credential(const std::string& public_key_line);

} // namespace bcvk
