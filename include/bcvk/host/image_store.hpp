#pragma once
// Container images: presence, pulling, metadata and read-only mounts, behind one narrow interface.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bcvk/host/process.hpp"
#include "bcvk/util/signals.hpp"
#include "bcvk/vm/pull_options.hpp"

namespace bcvk {

struct ImageInfo {
  std::string id;
  std::string digest;                    // of the manifest podman stored
  std::vector<std::string> repo_digests; // "REPOSITORY@sha256:...", one per registry it came from
  std::string architecture;              // the image config's ("amd64", "arm64")
  std::string os;
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
  // Pulls `image` (showing progress, vm/pull_report.hpp) and returns the ID of what was stored.
  virtual std::string pull(const std::string& image, const RegistryAccess& access, SignalCatcher* signals) = 0;
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
  std::string pull(const std::string& image, const RegistryAccess& access, SignalCatcher* signals) override;
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

// The digest a reference resolved to: the repo digest of the reference's own repository when a
// registry served the image ("sha256:..." and "REPO@sha256:..."), else the stored manifest's
// digest and no repo digest (pure).
struct ImageIdentity {
  std::string digest;
  std::string repo_digest;
};
ImageIdentity identity_of(const ImageInfo& info, const std::string& reference);

// Parses the JSON array printed by `podman image inspect` (pure, for tests).
std::vector<ImageInfo> parse_image_inspect_json(const std::string& json);

} // namespace bcvk
