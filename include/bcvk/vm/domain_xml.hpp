#pragma once
// VmSpec -> libvirt domain XML, and bcvk's metadata namespace for reading it back.
#include <optional>
#include <map>
#include <string>
#include <string_view>

#include "bcvk/vm/vm_spec.hpp"

namespace bcvk {

// The namespace of bcvk's <metadata> element; the trailing number is the format version.
inline constexpr const char* k_metadata_ns = "urn:x-bcvk:instance:1";
inline constexpr const char* k_metadata_prefix = "bcvk";

// Renders the domain XML for `spec`. Pure: the same spec always gives the same bytes.
std::string render_domain_xml(const VmSpec& spec);

// Whether a domain XML describes an emulated guest (<domain type='qemu'>, no KVM). Throws Error on
// XML that does not parse.
bool domain_xml_is_emulated(std::string_view xml);

// A saved domain XML brought up to what bcvk renders today for its file disks: each one says it
// has no backing chain (<backingStore/>), so QEMU never opens a file its header names. Also
// returns each file disk's format (<driver type>) by source path, for instances recorded before
// bcvk recorded it.
struct SealedDisks {
  std::string xml;
  std::map<std::string, std::string> formats;
};
SealedDisks seal_file_disks(std::string_view xml);

// Whether a domain bcvk made has a NIC given on QEMU's own command line (<qemu:commandline> with
// -netdev): the isolated NIC bcvk's port forwards use, or QEMU's user network. libvirt neither
// lists nor counts such a NIC.
bool has_nic_outside_libvirt(std::string_view xml);

// The saved domain XML with `uuid` as its domain's <uuid> (replacing the one it has, if any): a VM
// kept by a bcvk that did not give domains a UUID gets one before it boots again.
std::string with_domain_uuid(std::string_view xml, const std::string& uuid);

// The saved domain XML for a boot after the first: what only the first boot does goes. For a domain
// with an Ignition config, the config's fw_cfg entry (its file is deleted once QEMU read it) and
// ignition.firstboot on the kernel command line; anything else is left exactly as it is.
std::string for_later_boots(std::string_view xml);

// The <uuid> a saved domain XML gives its domain; nullopt when it gives none (or not a UUID).
std::optional<std::string> domain_uuid_of(std::string_view xml);

// Reads bcvk's metadata back from a whole domain XML; nullopt when the domain is not bcvk's.
std::optional<InstanceMetadata> parse_instance_metadata(const std::string& domain_xml);

} // namespace bcvk
