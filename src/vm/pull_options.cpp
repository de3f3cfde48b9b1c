#include "bcvk/vm/pull_options.hpp"

#include <set>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {

PullPolicy parse_pull_policy(const std::string& text) {
  if (text == "missing") {
    return PullPolicy::missing;
  }
  if (text == "always") {
    return PullPolicy::always;
  }
  if (text == "newer") {
    return PullPolicy::newer;
  }
  if (text == "never") {
    return PullPolicy::never;
  }
  throw UsageError("--pull: unsupported value '" + printable(text) + "': use missing, always, newer or never");
}

std::string to_string(PullPolicy policy) {
  switch (policy) {
  case PullPolicy::missing:
    return "missing";
  case PullPolicy::always:
    return "always";
  case PullPolicy::newer:
    return "newer";
  case PullPolicy::never:
    return "never";
  }
  return "missing";
}

std::vector<std::string> podman_pull_arguments(const std::string& image, const RegistryAccess& access) {
  std::vector<std::string> args;
  if (!access.authfile.empty()) {
    args.insert(args.end(), {"--authfile", access.authfile});
  }
  if (!access.tls_verify) {
    args.emplace_back("--tls-verify=false");
  }
  if (!access.arch.empty()) {
    args.insert(args.end(), {"--arch", access.arch});
  }
  args.insert(args.end(), {"--", image});
  return args;
}

void check_image_reference(const std::string& image) {
  if (image.empty()) {
    throw UsageError("IMAGE: no image given: name a bootc container image, e.g. localhost/mybootc");
  }
  if (image.front() == '-') {
    throw UsageError("IMAGE: '" + printable(image) +
                     "' is not an image reference (it starts with '-'): name an image, e.g. localhost/mybootc");
  }
  for (const char c : image) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      throw UsageError("IMAGE: '" + printable(image) +
                       "' is not an image reference: use letters, digits and . _ - / : @ only, e.g. localhost/mybootc");
    }
  }
  // podman would also take a transport ("docker://REF", "oci-archive:FILE", "dir:PATH"): a VM boots
  // an image in local storage or a registry, and a transport would be read as a registry's name.
  // Before the first '/', a ':' is only ever HOST:PORT ("[::1]:5000" for an IPv6 address); a
  // name without '/' is NAME:TAG, unless NAME is a transport's ("oci-archive:x.tar").
  static const std::set<std::string> k_transports{"oci",     "oci-archive", "docker-archive",     "docker-daemon",
                                                  "dir",     "ostree",      "containers-storage", "sif",
                                                  "tarball", "atomic"};
  const auto slash = image.find('/');
  const std::string first = image.substr(0, slash);
  const auto bracket = first.rfind(']');
  const auto colon = first.find(':', bracket == std::string::npos ? 0 : bracket);
  bool transport = image.find("://") != std::string::npos;
  if (colon != std::string::npos) {
    const std::string port = first.substr(colon + 1);
    const bool is_port = !port.empty() && port.find_first_not_of("0123456789") == std::string::npos;
    transport = transport || (slash != std::string::npos && !is_port) ||
                (slash == std::string::npos && k_transports.count(first.substr(0, colon)) != 0);
  }
  if (transport) {
    throw UsageError("IMAGE: '" + image +
                     "' names a transport, not an image: give a registry reference (HOST[:PORT]/REPO:TAG) or a "
                     "local image's name (load an archive first with 'podman load')");
  }
}

std::optional<std::string> registry_of(const std::string& image) {
  // As the container tools read a reference: the first component names a registry when it holds
  // a '.' or a ':' or is "localhost"; a transport prefix ("docker://") is not one of bcvk's forms.
  const auto slash = image.find('/');
  if (slash == std::string::npos) {
    return std::nullopt;
  }
  const std::string first = image.substr(0, slash);
  if (first == "localhost" || first.find_first_of(".:") != std::string::npos) {
    return first;
  }
  return std::nullopt;
}

std::string repository_of(const std::string& image) {
  std::string repo = image.substr(0, image.find('@'));
  const auto slash = repo.rfind('/');
  const auto colon = repo.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    repo.resize(colon);
  }
  return repo;
}

void check_authfile_option(const std::string& path) {
  if (path.empty()) {
    throw UsageError("--authfile: empty path: name the file 'podman login --authfile FILE HOST' wrote");
  }
  check_plain_text("--authfile", "path", path);
}

} // namespace bcvk
