#pragma once
// An image store with every image present and nothing behind it, for instances that never mount
// an image (tests on libvirt's test driver).
#include <set>
#include <string>
#include <vector>

#include "bcvk/host/image_store.hpp"

namespace bcvk::test_support {

class NoImages : public ImageStore {
public:
  bool exists(const std::string&) override { return true; }
  std::string pull(const std::string&, const RegistryAccess&, SignalCatcher*) override { return {}; }
  ImageInfo inspect(const std::string&) override { return {}; }
  std::string mount(const std::string&) override { return "/nonexistent"; }
  void unmount(const std::string&) override {}
  std::vector<ImageInfo> list_bootc_images() override { return {}; }
  std::string storage_root() override { return "/var/lib/containers/storage"; }
  std::set<std::string> image_layer_ids() override { return {}; }
};

} // namespace bcvk::test_support
