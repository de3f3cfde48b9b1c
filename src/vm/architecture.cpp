#include "bcvk/vm/architecture.hpp"

#include <array>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {
namespace {

struct ArchitectureNames {
  std::string_view podman; // Go's GOARCH, as image configs carry it
  std::string_view kernel; // uname -m
  std::string_view bootc;  // kargs.d match-architectures
};

constexpr std::array<ArchitectureNames, 7> k_architectures{{
    {"amd64", "x86_64", "x86_64"},
    {"arm64", "aarch64", "aarch64"},
    {"386", "i686", "i686"},
    {"arm", "armv7l", "arm"},
    {"ppc64le", "ppc64le", "powerpc64"},
    {"s390x", "s390x", "s390x"},
    {"riscv64", "riscv64", "riscv64"},
}};

const ArchitectureNames* names_of(std::string_view name) {
  for (const auto& names : k_architectures) {
    if (name == names.podman || name == names.kernel) {
      return &names;
    }
  }
  return nullptr;
}

} // namespace

std::optional<std::string> podman_architecture(std::string_view name) {
  const ArchitectureNames* names = names_of(name);
  return names != nullptr ? std::optional(std::string(names->podman)) : std::nullopt;
}

std::string canonical_architecture(std::string_view name) {
  return podman_architecture(name).value_or(std::string(name));
}

std::string bootc_architecture_name(std::string_view name) {
  const ArchitectureNames* names = names_of(name);
  return std::string(names != nullptr ? names->bootc : name);
}

bool is_bootable_architecture(std::string_view podman_arch) {
  return podman_arch == "amd64" || podman_arch == "arm64";
}

std::string parse_arch_option(const std::string& text) {
  if (auto arch = podman_architecture(text); arch && is_bootable_architecture(*arch)) {
    return *arch;
  }
  throw UsageError("--arch: unknown architecture '" + printable(text) +
                   "': use amd64 (also x86_64) or arm64 (also aarch64)");
}

std::string guest_architecture(const std::string& image_arch, const std::string& host_arch) {
  return image_arch.empty() ? host_arch : canonical_architecture(image_arch);
}

std::optional<std::string> architecture_refusal(const std::string& image, const std::string& image_arch,
                                                const std::string& host_arch, const std::string& requested) {
  const std::string arch = guest_architecture(image_arch, host_arch);
  const std::string shown = printable(image);
  if (!requested.empty() && arch != requested) {
    return "IMAGE: " + shown + " is an " + printable(arch) + " image, not the " + requested +
           " that --arch asked for: pull its " + requested + " variant ('bcvk images pull --arch " + requested + " " +
           shown + "')";
  }
  if (!is_bootable_architecture(arch)) {
    return "IMAGE: " + shown + " is an " + printable(arch) +
           " image: bcvk boots amd64 and arm64 images only; pull its amd64 or arm64 variant (--arch) or build the "
           "image for one of them";
  }
  return std::nullopt;
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
