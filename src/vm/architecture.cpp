#include "bcvk/vm/architecture.hpp"

#include <array>
#include <utility>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {
namespace {

// podman (Go) name, kernel (uname -m) name.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> k_architectures{{
    {"amd64", "x86_64"},
    {"arm64", "aarch64"},
    {"386", "i686"},
    {"arm", "armv7l"},
    {"ppc64le", "ppc64le"},
    {"s390x", "s390x"},
    {"riscv64", "riscv64"},
}};

} // namespace

std::optional<std::string> podman_architecture(std::string_view name) {
  for (const auto& [podman, kernel] : k_architectures) {
    if (name == podman || name == kernel) {
      return std::string(podman);
    }
  }
  return std::nullopt;
}

std::string canonical_architecture(std::string_view name) {
  return podman_architecture(name).value_or(std::string(name));
}

std::string parse_arch_option(const std::string& text) {
  // The architectures bcvk can be asked for; others are known only to name what an image is.
  if (auto arch = podman_architecture(text); arch == "amd64" || arch == "arm64") {
    return *arch;
  }
  throw UsageError("--arch: unknown architecture '" + printable(text) +
                   "': use amd64 (also x86_64) or arm64 (also aarch64)");
}

std::optional<std::string> architecture_refusal(const std::string& image, const std::string& image_arch,
                                                const std::string& host_arch, const std::string& requested) {
  const std::string arch = image_arch.empty() ? host_arch : canonical_architecture(image_arch);
  const std::string shown = printable(image);
  if (!requested.empty() && arch != requested) {
    return "IMAGE: " + shown + " is an " + printable(arch) + " image, not the " + requested +
           " that --arch asked for: pull its " + requested + " variant ('bcvk images pull --arch " + requested + " " +
           shown + "')";
  }
  if (arch != host_arch) {
    return "IMAGE: " + shown + " is an " + printable(arch) + " image and this host is " + host_arch +
           ": bcvk boots images of the host's architecture only; pull its " + host_arch + " variant (--arch " +
           host_arch + ") or build the image for " + host_arch;
  }
  return std::nullopt;
}

std::optional<std::string> arch_option_refusal(const std::string& requested, const std::string& host_arch) {
  if (requested.empty() || requested == host_arch) {
    return std::nullopt;
  }
  return "--arch " + requested + ": this host is " + host_arch +
         " and bcvk boots images of the host's architecture only: drop --arch, or use --arch " + host_arch;
}

std::optional<std::string> missing_variant(const std::string& image, const std::string& image_arch,
                                           const std::string& requested) {
  const std::string arch = canonical_architecture(image_arch);
  if (requested.empty() || image_arch.empty() || arch == requested) {
    return std::nullopt;
  }
  return "IMAGE: " + printable(image) + " has no " + requested + " variant (podman stored its " + printable(arch) +
         " one): use an image built for " + requested + ", or drop --arch";
}

} // namespace bcvk
