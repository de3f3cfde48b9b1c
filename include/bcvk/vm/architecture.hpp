#pragma once
// CPU architectures by name: podman's ("amd64", "arm64") and the kernel's ("x86_64", "aarch64") name
// the same machines, and which images a host can boot. Pure.
#include <optional>
#include <string>
#include <string_view>

namespace bcvk {

// podman's name for an architecture given in either spelling; nullopt for a name neither uses.
std::optional<std::string> podman_architecture(std::string_view name);
// The same, or `name` itself when neither uses it: what two names are compared by.
std::string canonical_architecture(std::string_view name);

// --arch as typed (amd64/x86_64 or arm64/aarch64), as podman's name; UsageError naming --arch for
// anything else.
std::string parse_arch_option(const std::string& text);

// Why `image`, whose config says `image_arch`, cannot boot on a host of `host_arch` when the user
// asked for `requested` (empty: nothing asked); nullopt when it can. bcvk boots only images of
// the host's own architecture; an image that names none (not valid OCI, but podman accepts it) is
// taken to be the host's.
std::optional<std::string> architecture_refusal(const std::string& image, const std::string& image_arch,
                                                const std::string& host_arch, const std::string& requested);

// Why `run --arch requested` cannot boot on a host of `host_arch`, before anything is pulled;
// nullopt when it can (or nothing was asked).
std::optional<std::string> arch_option_refusal(const std::string& requested, const std::string& host_arch);

// After `images pull --arch requested`: why the stored image, of `image_arch`, is not what was
// asked for (podman stores the only variant an image has, with a warning); nullopt when it is.
std::optional<std::string> missing_variant(const std::string& image, const std::string& image_arch,
                                           const std::string& requested);

} // namespace bcvk
