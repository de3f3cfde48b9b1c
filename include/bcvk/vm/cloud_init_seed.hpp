#pragma once
// A cloud-init NoCloud seed (--cloud-init DIR): what it may hold, how it is checked on the host, and
// where it goes in the guest. Pure: the files arrive already read (host/provisioning_inputs.hpp).
//
// The seed is written into the VM's own root, at the NoCloud datasource's local seed directory,
// with ds=nocloud on the kernel command line: the guest's cloud-init reads it before its network
// stage, exactly as it would read a cidata disk, while the user's --mount-disk-file disks keep
// their device names and no file system has to be made on the host.
#include <string>
#include <vector>

#include "bcvk/vm/guest_files.hpp"

namespace bcvk {

// Where cloud-init's NoCloud datasource looks for a local seed (relative to the guest's root).
inline constexpr const char* k_nocloud_seed_dir = "var/lib/cloud/seed/nocloud";

// The files a NoCloud seed consists of; user-data and meta-data are required (either may be empty).
inline constexpr const char* k_seed_user_data = "user-data";
inline constexpr const char* k_seed_meta_data = "meta-data";
std::vector<std::string> nocloud_seed_names();

// A seed file as read from the host.
struct SeedFile {
  std::string name; // one of nocloud_seed_names()
  std::string content;
  bool operator==(const SeedFile&) const = default;
};

// The largest seed file bcvk reads: cloud-init's own limit on user data is far below it.
inline constexpr std::size_t k_max_seed_file_bytes = 4 * 1024 * 1024;

// Checks the seed the way the guest's cloud-init will read it, so a mistake is reported before a
// VM boots: user-data and meta-data present; meta-data and network-config YAML mappings;
// user-data (and vendor-data) one of the formats cloud-init runs (#cloud-config YAML that parses to
// a mapping, a #! script, #include, #cloud-boothook, a MIME multipart, gzip). Throws UsageError
// naming --cloud-init, the file and the fix.
void check_cloud_init_seed(const std::string& shown_dir, const std::vector<SeedFile>& seed);

// Why `text` does not parse as YAML (with line and column), or "" when it does. A document that is
// not a mapping counts as not parsing when `mapping` is set.
std::string yaml_problem(const std::string& text, bool mapping);

// The files that put the seed in the guest: each seed file, readable by root only (user data can
// hold passwords and keys).
std::vector<GuestFile> cloud_init_seed_files(const std::vector<SeedFile>& seed);

// For an image with cloud-init whose SSH host key bcvk made (-K): a cloud-init drop-in that keeps
// cloud-init from deleting the key on its first run, as it does by default, whichever seed it
// runs with (--cloud-init's or the image's own). User data that asks for new host keys
// (ssh_deletekeys: true) still gets them.
GuestFile keep_host_key_drop_in();

// What to remove from the guest's root before the seed is written (relative paths): the image's own
// NoCloud seed directory, whatever it holds or is (a link, a file), since a seed is one whole and
// the image's network-config must not join the user's.
std::vector<std::string> cloud_init_seed_removals();

// Where keep_host_key_drop_in() goes.
inline constexpr const char* k_keep_host_key_drop_in = "etc/cloud/cloud.cfg.d/90-bcvk-keep-ssh-host-key.cfg";

} // namespace bcvk
