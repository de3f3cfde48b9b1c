#pragma once
// systemd credentials as SMBIOS type-11 OEM strings, or as QEMU fw_cfg files where no firmware
// builds SMBIOS tables.
#include <cstddef>
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

// fw_cfg: the file systemd imports credential NAME from ("opt/io.systemd.credentials/NAME"). Throws
// Error when `name` is not a valid credential name or the path is longer than QEMU allows.
inline constexpr const char* k_fw_cfg_credentials_dir = "opt/io.systemd.credentials/";
inline constexpr std::size_t k_fw_cfg_max_name = 55; // QEMU's FW_CFG_MAX_FILE_PATH less the NUL
std::string fw_cfg_credential_name(std::string_view name);
// The value as the text libvirt hands QEMU (systemd takes the file's bytes as they are). Throws
// Error for what that text cannot carry: controls other than tab and newline, non-ASCII, and
// , & < > ' " (libvirt 9.0 passes commas on to QEMU's option parser and turns the others into
// XML entities).
std::string fw_cfg_credential_text(std::string_view name, std::string_view value);

// systemd turns this credential into /root/.ssh/authorized_keys (via its tmpfiles provisioning).
inline constexpr const char* k_authorized_keys_credential = "ssh.authorized_keys.root";
Credential authorized_keys_credential(const std::string& public_key_line);

} // namespace bcvk
