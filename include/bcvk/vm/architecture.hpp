#pragma once
// CPU architectures by name: podman's ("amd64", "arm64"), the kernel's ("x86_64", "aarch64") and
// bootc's kargs.d names for the same machines, and which images bcvk can boot. Pure.
#include <optional>
#include <string>
#include <string_view>

namespace bcvk {

// podman's name for an architecture given in either spelling; nullopt for a name neither uses.
std::optional<std::string> podman_architecture(std::string_view name);
// The same, or `name` itself when neither uses it: what two names are compared by.
std::string canonical_architecture(std::string_view name);
// How bootc's match-architectures names it (the kernel's name, "powerpc64" for ppc64le).
std::string bootc_architecture_name(std::string_view name);

// The architectures bcvk boots guests of (podman's names), on any host: natively when it is the
// host's own, emulated otherwise.
bool is_bootable_architecture(std::string_view podman_arch);

// --arch as typed (amd64/x86_64 or arm64/aarch64), as podman's name; UsageError naming --arch for
// anything else.
std::string parse_arch_option(const std::string& text);

// Why `image`, whose config says `image_arch`, is not booted when the user asked for `requested`
// (empty: nothing asked); nullopt when it is. An image that names no architecture (not valid OCI,
// but podman accepts it) is taken to be the host's.
std::optional<std::string> architecture_refusal(const std::string& image, const std::string& image_arch,
                                                const std::string& host_arch, const std::string& requested);

// The architecture a guest of `image_arch` (from its config) runs as, podman's name: the host's
// when the image names none.
std::string guest_architecture(const std::string& image_arch, const std::string& host_arch);

// After `images pull --arch requested`: why the stored image, of `image_arch`, is not what was
// asked for (podman stores the only variant an image has, with a warning); nullopt when it is.
std::optional<std::string> missing_variant(const std::string& image, const std::string& image_arch,
                                           const std::string& requested);

} // namespace bcvk
