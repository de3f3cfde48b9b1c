#pragma once
// Where an image comes from: the pull policy, how to reach its registry, and what a reference
// names. Pure: options in, podman arguments and registry names out.
#include <optional>
#include <string>
#include <vector>

namespace bcvk {

// podman's words and meanings (podman-run --pull).
enum class PullPolicy {
  missing, // pull only when the image is not in local storage
  always,  // pull every time; a failed pull fails the run
  newer,   // pull when the registry holds something else under the name; a local image is used,
           // with a warning, when the registry cannot be asked
  never,   // local storage only
};

PullPolicy parse_pull_policy(const std::string& text); // UsageError naming --pull
std::string to_string(PullPolicy policy);
inline const std::vector<std::string> k_pull_policies{"missing", "always", "newer", "never"};

// How podman reaches a registry. Credentials never pass through bcvk's command line: they come
// from an auth file (podman login's, REGISTRY_AUTH_FILE's, or --authfile), and a registry's CA from
// podman's own /etc/containers/certs.d/HOST:PORT/.
struct RegistryAccess {
  std::string authfile; // empty: podman's default
  bool tls_verify = true;
  std::string arch; // podman's name of the variant to pull from a multi-arch image; empty: the host's
  bool operator==(const RegistryAccess&) const = default;
};

// The options of `podman pull` for `access`, then `--` and the image.
std::vector<std::string> podman_pull_arguments(const std::string& image, const RegistryAccess& access);

// Image references go to podman as arguments: one that looks like an option, or holds white space
// or control characters, is never valid. Throws UsageError naming IMAGE.
void check_image_reference(const std::string& image);

// The registry a reference names ("quay.io", "127.0.0.1:5000", "localhost"), or nullopt for a
// short name ("fedora-bootc:42") that podman resolves through its search registries.
std::optional<std::string> registry_of(const std::string& image);

// The repository part of a reference: without its tag or digest ("quay.io/fedora/fedora-bootc").
std::string repository_of(const std::string& image);

// Checks --authfile as typed (the file itself is read by the host layer).
void check_authfile_option(const std::string& path);

} // namespace bcvk
