// The view of the host's container storage a --bind-storage-ro guest gets, made for real (needs
// root, no VM) from a graph root laid out as podman's: the image and layer stores only.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "../common/directory_names.hpp"
#include "bcvk/host/mounts.hpp"
#include "bcvk/host/storage_view.hpp"

using namespace bcvk;
using bcvk::test_support::names_in;
namespace fs = std::filesystem;

namespace {

const std::string k_image_layer(64, 'a');
const std::string k_base_layer(64, 'b');
const std::string k_container_layer(64, 'c');

class StorageView : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0U) << "these tests mount file systems: run them as root";
    m_base = fs::temp_directory_path() / ("bcvk-storage-view-" + std::to_string(::getpid()));
    for (const char* dir : {"overlay-images", "overlay-layers", "overlay/l", "secrets/filedriver", "libpod",
                            "volumes/data/_data", "overlay-containers/x/userdata"}) {
      fs::create_directories(m_base / "graph" / dir);
    }
    fs::create_directories(view());
    write("overlay-images/images.json", "[{\"id\":\"img\"}]");
    write("overlay-layers/layers.json", "[]");
    write("secrets/filedriver/secretsdata.json", "SECRET");
    write("volumes/data/_data/file", "VOLUME");
    for (const auto& id : {k_image_layer, k_base_layer, k_container_layer}) {
      write("overlay/" + id + "/diff/from-" + id.substr(0, 1), id.substr(0, 1));
      write("overlay/" + id + "/link", "L" + id.substr(0, 1));
      fs::create_directories(m_base / "graph/overlay" / id / "merged");
      fs::create_directory_symlink("../" + id + "/diff", m_base / "graph/overlay/l" / ("L" + id.substr(0, 1)));
    }
    // A root podman has mounted (an image mount, a running container's root).
    ASSERT_EQ(::mount("tmpfs", (m_base / "graph/overlay" / k_image_layer / "merged").c_str(), "tmpfs", 0, "size=1m"),
              0);
    write("overlay/" + k_image_layer + "/merged/mounted-root", "MOUNTED");
  }
  void TearDown() override {
    for (const auto& m : mounts_below(m_base.string())) {
      ::umount2(m.c_str(), MNT_DETACH);
    }
    fs::remove_all(m_base);
  }
  void write(const std::string& rel, const std::string& content) {
    fs::create_directories((m_base / "graph" / rel).parent_path());
    std::ofstream(m_base / "graph" / rel) << content;
  }
  fs::path view() const { return m_base / "instance/ro/hoststorage"; }
  fs::path m_base;
};

TEST_F(StorageView, TheGuestSeesTheImageAndLayerStoresAndNothingElse) {
  mount_storage_view((m_base / "graph").string(), {k_image_layer, k_base_layer}, view().string());
  EXPECT_EQ(names_in(view()), (std::set<std::string>{"overlay", "overlay-images", "overlay-layers"}))
      << "no secrets, volumes, containers or podman database";
  EXPECT_EQ(names_in(view() / "overlay"), (std::set<std::string>{"l", k_image_layer, k_base_layer}))
      << "a container's writable layer is not an image's";
  std::ifstream images(view() / "overlay-images/images.json");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(images), {}), "[{\"id\":\"img\"}]");
  EXPECT_TRUE(fs::exists(view() / "overlay/l/La/from-a")) << "a layer is found through its short-name link";
  EXPECT_FALSE(fs::exists(view() / "overlay/l/Lc/from-c")) << "a container layer's link leads nowhere";
  EXPECT_TRUE(fs::is_empty(view() / "overlay" / k_image_layer / "merged")) << "no mounted root comes along";
  for (const auto& path : {view() / "new", view() / "overlay/new", view() / "overlay" / k_image_layer / "diff/new",
                           view() / "overlay-images/new"}) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    EXPECT_EQ(fd, -1) << path;
    EXPECT_EQ(errno, EROFS) << path;
  }

  release_mounts_below((m_base / "instance").string());
  EXPECT_TRUE(mounts_below((m_base / "instance").string()).empty());
  EXPECT_TRUE(fs::exists(m_base / "graph/overlay" / k_image_layer / "merged/mounted-root"))
      << "the host's own mount stays";
}

TEST_F(StorageView, ALayerWhoseImageWasJustRemovedIsLeftOut) {
  mount_storage_view((m_base / "graph").string(), {k_image_layer, std::string(64, 'd')}, view().string());
  EXPECT_EQ(names_in(view() / "overlay"), (std::set<std::string>{"l", k_image_layer, std::string(64, 'd')}));
  EXPECT_TRUE(fs::is_empty(view() / "overlay" / std::string(64, 'd')));
  release_mounts_below((m_base / "instance").string());
  EXPECT_TRUE(mounts_below((m_base / "instance").string()).empty());
}

} // namespace
