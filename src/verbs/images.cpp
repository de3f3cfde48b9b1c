// `images list`: the local images labelled containers.bootc=1; `images pull`: one from a registry.
#include <nlohmann/json.hpp>

#include <iostream>

#include "bcvk/vm/architecture.hpp"
#include "bcvk/host/host_inputs.hpp"
#include "bcvk/instance/services.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/terminal_text.hpp"
#include "bcvk/verbs/verbs.hpp"
#include "bcvk/util/size.hpp"
#include "bcvk/util/table.hpp"

namespace bcvk {
namespace {

// "sha256:0123456789ab" of a digest, as podman shows it shortened.
std::string short_digest(const std::string& digest) {
  return digest.substr(0, std::string("sha256:").size() + 12);
}

// Image names and labels come from images anyone could have built: nothing in them reaches the
// terminal as it is.
std::string shown(const std::string& text) {
  return terminal_safe(text, Charset::ascii);
}

} // namespace

int list_images(const ImagesRequest& options, const Context& ctx) {
  const OutputFormat format = options.format;
  Services services(ctx.connect_uri, Recover::yes);
  const auto images = services.store.list_bootc_images();
  if (options.quiet) {
    for (const auto& img : images) {
      std::cout << shown(img.names.empty() ? img.id : img.names.front()) << "\n";
    }
    return k_exit_ok;
  }
  if (format == OutputFormat::json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& img : images) {
      out.push_back({{"id", img.id},
                     {"names", img.names},
                     {"digest", img.digest},
                     {"repo_digests", img.repo_digests},
                     {"architecture", img.architecture},
                     {"os", img.os},
                     {"created", img.created},
                     {"size", img.size}});
    }
    std::cout << out.dump(2) << "\n";
    return k_exit_ok;
  }
  Table table({"REPOSITORY", "ID", "DIGEST", "ARCH", "CREATED", "SIZE"});
  for (const auto& img : images) {
    table.add({shown(img.names.empty() ? "<none>" : img.names.front()), img.id.substr(0, 12),
               shown(short_digest(img.digest)), shown(img.os + "/" + img.architecture), shown(img.created),
               format_size(img.size)});
  }
  std::cout << table.render();
  return k_exit_ok;
}

int pull_image(const ImagesPullRequest& request, const Context& ctx) {
  check_registry_auth(request.registry);
  // Local storage and the registry only: no libvirt connection is needed.
  SystemProcessRunner runner;
  PodmanImageStore store(runner);
  const std::string id = store.pull(request.image, request.registry, ctx.signals);
  const ImageInfo info = store.inspect(id);
  // podman pulls the only variant an image has even when --arch asked for another (with a
  // warning); the image is then stored, but it is not what was asked for.
  if (const auto why = missing_variant(request.image, info.architecture, request.registry.arch)) {
    throw UsageError(*why);
  }
  if (request.quiet) {
    std::cout << id << "\n";
    return k_exit_ok;
  }
  const ImageIdentity identity = identity_of(info, request.image);
  std::cout << "image:  " << shown(request.image) << "\nid:     " << id << "\ndigest: " << shown(identity.digest)
            << "\n";
  if (!identity.repo_digest.empty()) {
    std::cout << "from:   " << shown(identity.repo_digest) << "\n";
  }
  std::cout << "arch:   " << shown(info.os + "/" + info.architecture) << "\nsize:   " << format_size(info.size) << "\n";
  return k_exit_ok;
}

} // namespace bcvk
