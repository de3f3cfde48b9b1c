#include "bcvk/vm/containers_storage_conf.hpp"

#include <toml++/toml.h>

#include <sstream>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {

std::string storage_conf_with_image_store(const std::optional<ConfigFile>& image_conf, const std::string& store) {
  toml::table conf;
  const std::string shown = image_conf ? printable(image_conf->path) : std::string();
  if (image_conf) {
    try {
      conf = toml::parse(image_conf->text, image_conf->path);
    } catch (const toml::parse_error& e) {
      throw UsageError("--bind-storage-ro: the image's " + shown + " is not valid TOML (" +
                       printable(std::string(e.description())) + " at line " + std::to_string(e.source().begin.line) +
                       "), so podman in the guest could not read it either: fix it");
    }
  }
  const auto table_at = [&shown](toml::table& parent, const char* key, const char* name) -> toml::table& {
    auto [it, inserted] = parent.insert(key, toml::table{});
    toml::table* table = it->second.as_table();
    if (table == nullptr) {
      throw UsageError("--bind-storage-ro: the image's " + shown + " has a '" + name +
                       "' that is not a table: podman in the guest could not read it either: fix it");
    }
    return *table;
  };
  toml::table& storage = table_at(conf, "storage", "storage");
  const auto driver = storage["driver"].value<std::string>();
  if (driver && !driver->empty() && *driver != "overlay") {
    throw UsageError("--bind-storage-ro: the image's " + shown + " sets driver = \"" + printable(*driver) +
                     "\", and podman reads the host's overlay image store only with the overlay driver: run without "
                     "--bind-storage-ro, or use driver = \"overlay\" in the image");
  }
  storage.insert_or_assign("driver", "overlay");
  // A file that exists must name these (podman's defaults for root apply only without one).
  storage.insert("runroot", "/run/containers/storage");
  storage.insert("graphroot", "/var/lib/containers/storage");
  toml::table& options = table_at(storage, "options", "storage.options");
  auto [it, inserted] = options.insert("additionalimagestores", toml::array{});
  toml::array* stores = it->second.as_array();
  if (stores == nullptr) {
    throw UsageError(
        "--bind-storage-ro: the image's " + shown +
        " has an additionalimagestores that is not a list: podman in the guest could not read it either: fix it");
  }
  bool present = false;
  for (const auto& entry : *stores) {
    present = present || entry.value<std::string>() == store;
  }
  if (!present) {
    stores->push_back(store);
  }
  std::ostringstream out;
  out << "# Written by bcvk for --bind-storage-ro: the host's images, read-only, at " << store << "\n";
  if (image_conf) {
    out << "# (the image's own settings are those of " << shown << ")\n";
  }
  out << conf << "\n";
  return out.str();
}

} // namespace bcvk
