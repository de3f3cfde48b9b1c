#pragma once
// An Ignition config (--ignition FILE) for images that provision themselves with Ignition (Fedora
// CoreOS and what is built from it). Pure.
//
// Ignition reads it on a QEMU machine from the fw_cfg file opt/com.coreos/config, on the first
// boot (ignition.firstboot) when the platform is qemu (ignition.platform.id=qemu); it runs in the
// image's own initramfs, so such a VM never boots through bcvk's minimal one.
#include <map>
#include <string>
#include <vector>

namespace bcvk {

inline constexpr const char* k_ignition_fw_cfg_name = "opt/com.coreos/config";
inline constexpr const char* k_ignition_first_boot_karg = "ignition.firstboot";

// The largest config bcvk passes: QEMU holds fw_cfg files in memory, and real configs are small
// (big files go in by URL).
inline constexpr std::size_t k_max_ignition_config_bytes = 1024 * 1024;

// Whether the image says it runs Ignition: the label coreos.ignition, or com.coreos.osname (which
// CoreOS-based images carry).
bool image_declares_ignition(const std::map<std::string, std::string>& labels);

// Checks that `text` is an Ignition config: a JSON object whose ignition.version is a version
// string (3.4.0, 3.5.0-experimental). Throws UsageError naming --ignition, `shown` and the fix.
void check_ignition_config(const std::string& shown, const std::string& text);

// The kernel arguments that make Ignition run with the config on the first boot (for_later_boots
// in domain_xml.hpp takes ignition.firstboot off again).
std::vector<std::string> ignition_kargs();

} // namespace bcvk
