#pragma once
// Boot files bcvk makes from an image, made once per image and shared by all its instances: the
// image's initramfs with bcvk's virtiofs add-on appended, and, for an image that only has a unified
// kernel image, the kernel and initramfs taken out of it. An image's own kernel is never copied
// (instances mount it straight from the image). Each set of files records the instances using it,
// and once the last one has left they go with the image: a host holds one copy per local image
// that was booted, whatever the number of instances, and booting an image again copies nothing.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bcvk/host/bootc_layout.hpp"
#include "bcvk/util/handle.hpp"
#include "bcvk/util/rooted_fs.hpp"
#include "bcvk/vm/initramfs_choice.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {

// Kernels are tens of MiB and initramfs images rarely above a few hundred: a hostile image must
// not fill the host's disk or QEMU's memory through them.
inline constexpr std::uint64_t k_max_boot_file_bytes = std::uint64_t{2} << 30;

// How an image's initramfs is made: both kinds carry the image's virtio/virtiofs modules and
// `early_modules` (one image, one architecture, so every user asks for the same).
struct InitramfsRecipe {
  InitramfsChoice choice = InitramfsChoice::image;
  std::vector<std::string> early_modules{};
  std::string_view init{}; // the guest init, for the minimal one
};

// The shared files, open for reading (mode 0644, root's).
struct SharedBootFiles {
  // A UKI's kernel, or a copy of an image's kernel that only its owner may read (QEMU could not);
  // otherwise none, and the image's own kernel is mounted.
  std::optional<Fd> kernel;
  Fd initrd;
  std::string initrd_path; // where they are, for messages
};

// Whether the instance `name` still exists (instances that were removed without leaving, e.g. by
// a crash, are dropped from the user lists).
using InstanceExists = std::function<bool(const VmName& name)>;
// Whether the image of that ID is still in local storage.
using ImagePresent = std::function<bool(const std::string& image_id)>;

// The shared boot files of image `image_id` (podman's full ID) made by `recipe`, made from
// `image_root` when no instance has them yet, with `user` recorded as one of their users. Each
// kind of initramfs is an entry of its own (the minimal one also names its init's fingerprint).
SharedBootFiles use_shared_boot_files(const RootedTree& image_root, const BootArtifacts& boot,
                                      const std::string& image_id, const VmName& user, const InitramfsRecipe& recipe);

// Removes `user` from the shared boot files of image `image_id`, along with users that no longer
// exist. Files nobody uses are deleted once their image is gone from local storage (this image's
// and any other's). A VM still running from deleted files keeps them: its mounts hold them.
// Also sweeps what killed processes left. Throws only when `user`'s own record (in the image's
// entry, or in every entry when `image_id` is empty) cannot be dropped or the shared files cannot
// be locked; failing to tidy the rest only warns.
void leave_shared_boot_files(const std::string& image_id, const VmName& user, const InstanceExists& exists,
                             const ImagePresent& image_present);

// Where the shared files of all images live (below the state root).
std::string shared_boot_files_root();

} // namespace bcvk
