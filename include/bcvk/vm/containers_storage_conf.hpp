#pragma once
// The guest's containers-storage configuration with the host's images added (--bind-storage-ro):
// podman in the guest then finds every image of the host's storage as a read-only additional image
// store, and runs them without a pull. Pure.
//
// Podman of every version reads /etc/containers/storage.conf, or /usr/share/containers/storage.conf
// when there is none (drop-in directories are recent), so bcvk writes the whole file into the VM's
// own root, never into the image: the image's own settings, with the store added.
#include <optional>
#include <string>

#include "bcvk/vm/sshd_config.hpp"

namespace bcvk {

// Where containers-storage reads its configuration, in the order it looks (relative to the root).
inline constexpr const char* k_storage_conf_path = "etc/containers/storage.conf";
inline constexpr const char* k_storage_conf_default_path = "usr/share/containers/storage.conf";

// The image's configuration (`image_conf`: the file podman would read, if any) with `store` in
// [storage.options] additionalimagestores (after the image's own stores) and the overlay driver,
// the only one that reads the host's overlay store. Throws UsageError naming the file when it is
// not TOML or sets another driver.
std::string storage_conf_with_image_store(const std::optional<ConfigFile>& image_conf, const std::string& store);

} // namespace bcvk
