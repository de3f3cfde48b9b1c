#pragma once
// Container images: presence, pulling, metadata and read-only mounts, behind one narrow interface.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bcvk/host/process.hpp"

namespace bcvk {

struct ImageInfo {
  std::string id;
  std::string digest;
  std::vector<std::string> names;
  std::map<std::string, std::string> labels;
  std::string created;
  std::uint64_t size = 0;
};

class ImageStore {
public:
  virtual ~ImageStore() = default;
  // nullopt-like: returns false when the image is not in local storage.
  virtual bool exists(const std::string& image) = 0;
  virtual void pull(const std::string& image) = 0;
  virtual ImageInfo inspect(const std::string& image) = 0;
  // Mounts the image read-only and returns the path. Each call takes one reference.
  virtual std::string mount(const std::string& image_id) = 0;
  // Releases one reference taken by mount().
  virtual void unmount(const std::string& image_id) = 0;
  virtual std::vector<ImageInfo> list_bootc_images() = 0;
  // Where the container storage lives on the host (podman's graphRoot).
  virtual std::string storage_root() = 0;
  // The IDs of the layers local images are made of (what --bind-storage-ro shares of the storage).
  virtual std::set<std::string> image_layer_ids() = 0;
};

// ImageStore backed by the podman command line.
class PodmanImageStore : public ImageStore {
public:
  explicit PodmanImageStore(ProcessRunner& runner) : m_runner(runner) {}
  bool exists(const std::string& image) override;
  void pull(const std::string& image) override;
  ImageInfo inspect(const std::string& image) override;
  std::string mount(const std::string& image_id) override;
  void unmount(const std::string& image_id) override;
  std::vector<ImageInfo> list_bootc_images() override;
  std::string storage_root() override;
  std::set<std::string> image_layer_ids() override;

private:
  std::vector<std::string> image_ids(const std::vector<std::string>& filters);
  ProcessResult podman(const std::vector<std::string>& args);
  ProcessRunner& m_runner;
};

// Parses the JSON array printed by `podman image inspect` (pure, for tests).
std::vector<ImageInfo> parse_image_inspect_json(const std::string& json);

} // namespace bcvk
