#include "bcvk/host/image_store.hpp"

#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "bcvk/host/image_pull.hpp"
#include "bcvk/host/storage_view.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/terminal_text.hpp"

namespace bcvk {
namespace {

std::string podman_error(const ProcessResult& r) {
  const std::string msg = first_line(r.err.empty() ? r.out : r.err);
  return msg.empty() ? "exit status " + std::to_string(r.status) : msg;
}

} // namespace

ProcessResult PodmanImageStore::podman(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"podman"};
  argv.insert(argv.end(), args.begin(), args.end());
  spdlog::debug("running {}", quote_command(argv));
  return m_runner.run(argv);
}

bool PodmanImageStore::exists(const std::string& image) {
  return podman({"image", "exists", "--", image}).status == 0;
}

std::string PodmanImageStore::pull(const std::string& image, const RegistryAccess& access, SignalCatcher* signals) {
  std::string root;
  try {
    root = storage_root();
  } catch (const Error&) {
    // Only the message of a full disk names it.
  }
  return pull_image_showing_progress(image, access, root, signals);
}

ImageInfo PodmanImageStore::inspect(const std::string& image) {
  const auto r = podman({"image", "inspect", "--format", "json", "--", image});
  if (r.status != 0) {
    throw Error("cannot inspect image " + image + ": " + podman_error(r));
  }
  auto infos = parse_image_inspect_json(r.out);
  if (infos.empty()) {
    throw Error("podman returned no data for image " + image);
  }
  return infos.front();
}

std::string PodmanImageStore::mount(const std::string& image_id) {
  const auto r = podman({"image", "mount", "--", image_id});
  const std::string path = first_line(r.out);
  if (r.status != 0 || path.empty() || path.front() != '/') {
    throw Error("cannot mount image " + image_id + ": " + podman_error(r));
  }
  return path;
}

void PodmanImageStore::unmount(const std::string& image_id) {
  const auto r = podman({"image", "umount", "--", image_id});
  if (r.status != 0) {
    throw Error("cannot unmount image " + image_id + ": " + podman_error(r));
  }
}

std::vector<std::string> PodmanImageStore::image_ids(const std::vector<std::string>& filters) {
  std::vector<std::string> args{"images", "-q", "--no-trunc"};
  args.insert(args.end(), filters.begin(), filters.end());
  const auto r = podman(args);
  if (r.status != 0) {
    throw Error("cannot list images: " + podman_error(r));
  }
  std::vector<std::string> ids;
  std::istringstream lines(r.out);
  for (std::string id; std::getline(lines, id);) {
    if (!id.empty()) {
      ids.push_back(id);
    }
  }
  return ids;
}

std::set<std::string> PodmanImageStore::image_layer_ids() {
  const auto ids = image_ids({});
  if (ids.empty()) {
    return {};
  }
  const std::vector<std::string> inspect{
      "image", "inspect", "--format",
      "{{.GraphDriver.Name}} {{.GraphDriver.Data.UpperDir}} {{.GraphDriver.Data.LowerDir}}", "--"};
  std::vector<std::string> args = inspect;
  args.insert(args.end(), ids.begin(), ids.end());
  auto r = podman(args);
  if (r.status != 0) {
    // An image removed since the listing fails the whole call: ask for each, leaving out the gone.
    r.out.clear();
    for (const auto& id : ids) {
      args = inspect;
      args.push_back(id);
      if (const auto one = podman(args); one.status == 0) {
        r.out += one.out;
      } else if (exists(id)) {
        throw Error("cannot inspect image " + id + ": " + podman_error(one));
      }
    }
  }
  return image_layer_ids_of(storage_root(), r.out);
}

std::vector<ImageInfo> PodmanImageStore::list_bootc_images() {
  std::vector<std::string> args{"image", "inspect", "--format", "json", "--"};
  const auto ids = image_ids({"--filter", "label=containers.bootc=1"});
  if (ids.empty()) {
    return {};
  }
  args.insert(args.end(), ids.begin(), ids.end());
  const auto r = podman(args);
  if (r.status != 0) {
    throw Error("cannot inspect images: " + podman_error(r));
  }
  return parse_image_inspect_json(r.out);
}

std::string PodmanImageStore::storage_root() {
  const auto r = podman({"info", "--format", "{{.Store.GraphRoot}}"});
  if (r.status != 0) {
    throw Error("cannot query podman storage: " + podman_error(r));
  }
  return first_line(r.out);
}

ImageIdentity identity_of(const ImageInfo& info, const std::string& reference) {
  // After a pull of a multi-architecture image the repository has two digests: the list's and the
  // one of the image stored. The stored one names exactly what was booted, on any host.
  if (registry_of(reference)) {
    const std::string repo = repository_of(reference);
    std::optional<ImageIdentity> found;
    for (const auto& d : info.repo_digests) {
      const auto at = d.find('@');
      if (at == repo.size() && d.compare(0, at, repo) == 0) {
        const ImageIdentity candidate{d.substr(at + 1), d};
        if (candidate.digest == info.digest) {
          return candidate;
        }
        found = found.value_or(candidate);
      }
    }
    if (found) {
      return *found;
    }
  }
  return {info.digest, ""};
}

std::vector<ImageInfo> parse_image_inspect_json(const std::string& json) {
  std::vector<ImageInfo> out;
  try {
    const auto doc = nlohmann::json::parse(json);
    for (const auto& item : doc) {
      ImageInfo info;
      info.id = item.value("Id", "");
      info.digest = item.value("Digest", "");
      info.created = item.value("Created", "");
      info.size = item.value("Size", std::uint64_t{0});
      info.architecture = item.value("Architecture", "");
      info.os = item.value("Os", "");
      if (item.contains("RepoDigests") && item["RepoDigests"].is_array()) {
        for (const auto& d : item["RepoDigests"]) {
          info.repo_digests.push_back(d.get<std::string>());
        }
      }
      if (item.contains("RepoTags") && item["RepoTags"].is_array()) {
        for (const auto& tag : item["RepoTags"]) {
          info.names.push_back(tag.get<std::string>());
        }
      }
      // A copy: the config is a temporary when the image has no top-level Labels.
      const nlohmann::json labels =
          item.contains("Labels") ? item["Labels"]
                                  : item.value("Config", nlohmann::json::object()).value("Labels", nlohmann::json());
      if (labels.is_object()) {
        for (const auto& [k, v] : labels.items()) {
          info.labels[k] = v.is_string() ? v.get<std::string>() : v.dump();
        }
      }
      out.push_back(std::move(info));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("cannot parse podman output: ") + e.what());
  }
  return out;
}

} // namespace bcvk
