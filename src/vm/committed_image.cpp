#include "bcvk/vm/committed_image.hpp"

#include <map>

#include <nlohmann/json.hpp>

#include "bcvk/util/digest.hpp"
#include "bcvk/util/error.hpp"

namespace bcvk {
namespace {

constexpr const char* k_oci_manifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* k_oci_config = "application/vnd.oci.image.config.v1+json";
constexpr const char* k_oci_layer_tar = "application/vnd.oci.image.layer.v1.tar";
constexpr const char* k_docker_manifest = "application/vnd.docker.distribution.manifest.v2+json";

// A base layer's media type in an OCI manifest: Docker's named as OCI names the same bytes.
std::string oci_layer_type(const std::string& type) {
  static const std::map<std::string, std::string> k_docker_to_oci{
      {"application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.oci.image.layer.v1.tar+gzip"},
      {"application/vnd.docker.image.rootfs.diff.tar", k_oci_layer_tar},
      {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
       "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"},
  };
  if (const auto it = k_docker_to_oci.find(type); it != k_docker_to_oci.end()) {
    return it->second;
  }
  if (type.starts_with("application/vnd.oci.image.layer.")) {
    return type;
  }
  throw Error("the base image has a layer of media type '" + type + "', which bcvk cannot name in a new manifest");
}

Error not_an_image(const std::string& what) {
  return Error("the base image's " + what +
               " is not what local storage keeps for an image; is it intact? "
               "('podman image inspect' shows it)");
}

nlohmann::json parse(const std::string& text, const std::string& what) {
  try {
    auto j = nlohmann::json::parse(text);
    if (!j.is_object()) {
      throw not_an_image(what);
    }
    return j;
  } catch (const nlohmann::json::exception&) {
    throw not_an_image(what);
  }
}

nlohmann::json new_config(const std::string& base_config, const BlobRef& layer, const CommitRequest& request,
                          const CommitFacts& facts) {
  nlohmann::json config = parse(base_config, "config");
  auto& rootfs = config["rootfs"];
  if (!rootfs.is_object() || !rootfs["diff_ids"].is_array()) {
    throw not_an_image("config (no rootfs.diff_ids)");
  }
  rootfs["diff_ids"].push_back(layer.digest);
  config["created"] = facts.created;
  if (!request.author.empty()) {
    config["author"] = request.author;
  }
  if (!config.contains("config") || !config["config"].is_object()) {
    config["config"] = nlohmann::json::object();
  }
  auto& labels = config["config"]["Labels"];
  if (!labels.is_object()) {
    labels = nlohmann::json::object();
  }
  for (const auto& label : request.labels) {
    labels[label.key] = label.value;
  }
  nlohmann::json step{{"created", facts.created}, {"created_by", "bcvk ephemeral commit " + facts.vm_name}};
  if (!request.author.empty()) {
    step["author"] = request.author;
  }
  if (!request.message.empty()) {
    step["comment"] = request.message;
  }
  if (!config.contains("history") || !config["history"].is_array()) {
    config["history"] = nlohmann::json::array();
  }
  config["history"].push_back(std::move(step));
  return config;
}

} // namespace

CommittedImage committed_image(const std::string& base_config, const std::string& base_manifest, const BlobRef& layer,
                               const CommitRequest& request, const CommitFacts& facts) {
  const nlohmann::json config = new_config(base_config, layer, request, facts);
  const nlohmann::json base = parse(base_manifest, "manifest");
  const std::string type = base.value("mediaType", std::string(k_oci_manifest));
  if (base.value("schemaVersion", 0) != 2 || (type != k_oci_manifest && type != k_docker_manifest) ||
      !base.contains("layers") || !base["layers"].is_array()) {
    throw Error("the base image's manifest is " + (base.contains("manifests") ? std::string("a list") : type) +
                ", not one image's OCI or Docker schema 2 manifest: commit a VM of a single-architecture image");
  }
  const auto& diff_ids = config["rootfs"]["diff_ids"];
  if (base["layers"].size() + 1 != diff_ids.size()) {
    throw not_an_image("manifest (its layers and the config's diff IDs differ in number)");
  }
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& descriptor : base["layers"]) {
    if (!descriptor.is_object() || !descriptor["digest"].is_string() || !descriptor["size"].is_number_unsigned()) {
      throw not_an_image("manifest (a layer without digest or size)");
    }
    nlohmann::json copy = descriptor;
    copy["mediaType"] = oci_layer_type(descriptor.value("mediaType", std::string()));
    layers.push_back(std::move(copy));
  }
  layers.push_back({{"mediaType", k_oci_layer_tar}, {"digest", layer.digest}, {"size", layer.size}});
  CommittedImage image;
  image.config = config.dump();
  nlohmann::json annotations{{"org.opencontainers.image.base.name", facts.base_name}};
  if (!facts.base_digest.empty()) {
    annotations["org.opencontainers.image.base.digest"] = facts.base_digest;
  }
  nlohmann::json manifest{
      {"schemaVersion", 2},
      {"mediaType", k_oci_manifest},
      {"config", {{"mediaType", k_oci_config}, {"digest", sha256_digest(image.config)}, {"size", image.config.size()}}},
      {"layers", std::move(layers)},
      {"annotations", std::move(annotations)}};
  image.manifest = manifest.dump();
  return image;
}

std::string oci_layout_index(const BlobRef& manifest) {
  const nlohmann::json index{
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.index.v1+json"},
      {"manifests", {{{"mediaType", k_oci_manifest}, {"digest", manifest.digest}, {"size", manifest.size}}}}};
  return index.dump();
}

std::string oci_layout_marker() {
  return R"({"imageLayoutVersion":"1.0.0"})";
}

} // namespace bcvk
