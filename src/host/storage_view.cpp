#include "bcvk/host/storage_view.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <sstream>
#include <string_view>

#include "bcvk/host/mounts.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/handle.hpp"

namespace bcvk {
namespace {

bool is_layer_id(const std::string& id) {
  return id.size() == 64 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// The layer ID of an image's layer directory GRAPH_ROOT/overlay/ID/diff; nullopt for any other
// path (a layer of an additional image store elsewhere: not part of this storage).
std::optional<std::string> layer_id_of(const std::string& graph_root, const std::string& dir) {
  const std::string prefix = graph_root + "/overlay/";
  const std::string suffix = "/diff";
  if (dir.starts_with(prefix) && dir.ends_with(suffix) && dir.size() > prefix.size() + suffix.size()) {
    std::string id = dir.substr(prefix.size(), dir.size() - prefix.size() - suffix.size());
    if (is_layer_id(id)) {
      return id;
    }
  }
  return std::nullopt;
}

} // namespace

std::set<std::string> image_layer_ids_of(const std::string& graph_root, const std::string& inspect_lines) {
  std::set<std::string> ids;
  std::istringstream lines(inspect_lines);
  std::string line;
  while (std::getline(lines, line)) {
    // A field podman has no value for (the lower layers of a one-layer image).
    for (auto at = line.find("<no value>"); at != std::string::npos; at = line.find("<no value>")) {
      line.erase(at, std::string_view("<no value>").size());
    }
    std::istringstream fields(line);
    std::string driver, upper, lower;
    if (!(fields >> driver)) {
      continue;
    }
    if (driver != "overlay") {
      throw Error("--bind-storage-ro: podman's storage driver here is '" + driver +
                  "'; only overlay storage can be shared with a guest");
    }
    fields >> upper >> lower;
    std::istringstream lowers(lower);
    std::string dir;
    while (std::getline(lowers, dir, ':')) {
      if (auto id = layer_id_of(graph_root, dir)) {
        ids.insert(std::move(*id));
      }
    }
    if (auto id = layer_id_of(graph_root, upper); id && !upper.empty()) {
      ids.insert(std::move(*id));
    }
  }
  return ids;
}

std::vector<std::string> storage_view_entries(const std::set<std::string>& layer_ids) {
  std::vector<std::string> out{"overlay-images", "overlay-layers", "overlay/l"};
  for (const auto& id : layer_ids) {
    if (!is_layer_id(id)) {
      throw Error("not a layer ID: " + id);
    }
    out.push_back("overlay/" + id);
  }
  return out;
}

void mount_storage_view(const std::string& graph_root, const std::set<std::string>& layer_ids,
                        const std::string& target) {
  const auto entries = storage_view_entries(layer_ids);
  // The skeleton: a tmpfs of its own, private, with an empty directory for each entry, made
  // read-only before anything is mounted on it (a failure until then leaves a plain mount).
  if (::mount("tmpfs", target.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=256k") != 0 ||
      ::mount(nullptr, target.c_str(), nullptr, MS_PRIVATE, nullptr) != 0) {
    throw Error("--bind-storage-ro: cannot make the storage view at " + target + ": " + std::strerror(errno));
  }
  const Fd view(::open(target.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!view) {
    throw Error("--bind-storage-ro: cannot open " + target + ": " + std::strerror(errno));
  }
  for (const auto& dir : {std::string("overlay")}) { // the one parent that is not shared itself
    if (::mkdirat(view.get(), dir.c_str(), 0755) != 0) {
      throw Error("--bind-storage-ro: cannot make " + target + "/" + dir + ": " + std::strerror(errno));
    }
  }
  for (const auto& entry : entries) {
    if (::mkdirat(view.get(), entry.c_str(), 0755) != 0) {
      throw Error("--bind-storage-ro: cannot make " + target + "/" + entry + ": " + std::strerror(errno));
    }
  }
  mount_attr read_only{};
  read_only.attr_set = MOUNT_ATTR_RDONLY;
  if (::mount_setattr(view.get(), "", AT_EMPTY_PATH, &read_only, sizeof read_only) != 0) {
    throw Error("--bind-storage-ro: cannot make " + target + " read-only: " + std::strerror(errno));
  }
  for (const auto& entry : entries) {
    bind_alone_read_only(graph_root + "/" + entry, view, entry); // gone since the listing: left out
  }
}

} // namespace bcvk
