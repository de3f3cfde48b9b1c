#pragma once
// What an image's own configuration means for booting it, read strictly inside the image: its
// kernel arguments (kargs.d), SELinux, cloud-init, and whether bcvk's SSH key can log in.
#include <optional>
#include <string>
#include <vector>

#include "bcvk/util/rooted_fs.hpp"
#include "bcvk/vm/image_kargs.hpp"
#include "bcvk/vm/run_options.hpp"

namespace bcvk {

// The directory bootc reads an image's kernel arguments from.
inline constexpr const char* k_kargs_dir = "/usr/lib/bootc/kargs.d";

// kargs.d (every *.toml, in file-name order, for the guest's architecture `guest_arch`, in any
// spelling: the image's, not the host's), SELinux and cloud-init. Throws Error naming the image
// and the file for a malformed kargs.d file.
ImageBootFacts read_image_boot_facts(const RootedTree& image_root, const std::string& image,
                                     const std::string& guest_arch);

// The containers-storage configuration podman in the image reads (/etc/containers/storage.conf,
// else /usr/share/containers/storage.conf), for --bind-storage-ro; nullopt without either. Throws
// Error for one that is not a regular file or is larger than a configuration file.
std::optional<ConfigFile> read_storage_conf(const RootedTree& image_root);

// Throws UsageError when a --bind/--ro-bind guest path leads through something in the image that
// systemd cannot mount over: a symbolic link (bootc images make /home, /root, /opt, /srv, /mnt and
// /usr/local links into /var) or a file. The message names the path the link leads to.
void check_guest_mount_points(const RootedTree& image_root, const std::vector<BindSpec>& binds);

// For -K and run-ssh (a VM made without them has no key for ssh): throws Error (suggesting --execute) when the image
// has no sshd, or when its sshd configuration keeps root from logging in with a key.
void require_ssh_server(const RootedTree& image_root, const std::string& image);

// Where root's home is inside the image, relative to its root, links followed inside it:
// "var/roothome" for a bootc image whose /root is a link there, else "root". systemd writes the
// authorized_keys of bcvk's credential below it.
std::string root_home_in(const RootedTree& image_root);

// This host's architecture as podman names it ("amd64", "arm64", ...).
std::string host_architecture();

} // namespace bcvk
