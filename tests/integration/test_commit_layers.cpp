// `ephemeral commit` without a VM: changes made through a real overlay (mounted as bcvk mounts a
// VM's root) become one layer in local storage, and the image is checked against the overlay's
// own view and against an oracle, the same changes committed by buildah. Needs root, podman,
// skopeo and buildah; the base image is made here, small.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "../common/no_images.hpp"
#include "bcvk/host/image_store.hpp"
#include "bcvk/host/root_layer.hpp"
#include "bcvk/instance/owner.hpp"
#include "bcvk/util/size.hpp"
#include "bcvk/host/layer_archive.hpp"
#include "bcvk/host/mounts.hpp"
#include "bcvk/host/oci_import.hpp"
#include "bcvk/host/process.hpp"
#include "bcvk/host/upper_scan.hpp"
#include "bcvk/util/digest.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/handle.hpp"
#include "bcvk/util/rooted_fs.hpp"
#include "bcvk/util/signals.hpp"
#include "bcvk/vm/committed_image.hpp"

using namespace bcvk;
namespace fs = std::filesystem;

namespace {

const std::string k_base = "localhost/bcvk-commit-test-base:latest";
const std::string k_ours = "localhost/bcvk-commit-test-ours:latest";
const std::string k_again = "localhost/bcvk-commit-test-again:latest";
const std::string k_oracle = "localhost/bcvk-commit-test-oracle:latest";

ProcessResult run_command(const std::vector<std::string>& argv) {
  SystemProcessRunner runner;
  return runner.run(argv);
}

std::string must(const std::vector<std::string>& argv) {
  const auto r = run_command(argv);
  if (r.status != 0) {
    throw Error(quote_command(argv) + " failed: " + r.err);
  }
  return r.out;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

void write(const fs::path& path, const std::string& text, unsigned mode = 0644) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

// The base: a few directories and files, a hard-linked pair, a link.
void make_base_image(const fs::path& work) {
  const fs::path root = work / "base";
  write(root / "etc/motd", "welcome\n");
  write(root / "etc/app/app.conf", "port=80\n");
  write(root / "etc/app/old.conf", "old\n");
  write(root / "usr/share/doc/pkg/README", "readme\n");
  write(root / "usr/share/doc/pkg/NEWS", "news\n");
  write(root / "usr/bin/tool", "#!/bin/sh\n", 0755);
  write(root / "var/lib/state/data", "state\n");
  fs::create_directories(root / "tmp");
  fs::create_directories(root / "srv");
  fs::create_directories(root / "run");
  must({"tar", "-C", root.string(), "-cf", (work / "base.tar").string(), "."});
  must({"podman", "import", "--change", "LABEL containers.bootc=1", "--change", "CMD [\"/sbin/init\"]",
        (work / "base.tar").string(), k_base});
}

// What the guest does: the same steps on the overlay and in buildah's container.
void make_changes(const fs::path& root) {
  write(root / "etc/added.conf", "added\n", 0640);
  ::setxattr((root / "etc/added.conf").c_str(), "user.origin", "guest", 5, 0);
  ::setxattr((root / "etc/added.conf").c_str(), "security.capability",
             "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20, 0);
  fs::remove(root / "etc/motd");
  { std::ofstream(root / "etc/app/app.conf", std::ios::app) << "workers=4\n"; }
  ::chmod((root / "usr/bin/tool").c_str(), 0700);
  ::chown((root / "usr/bin/tool").c_str(), 0, 10);
  fs::remove_all(root / "usr/share/doc/pkg");
  write(root / "usr/share/doc/pkg/ONLY", "only this\n");
  write(root / "opt/app/bin", "binary\n", 0755);
  fs::create_hard_link(root / "opt/app/bin", root / "opt/app/bin-alias");
  fs::create_symlink("bin", root / "opt/app/current");
  fs::create_directories(root / "srv/empty");
  ::mkfifo((root / "opt/app/pipe").c_str(), 0600);
  // Names are bytes: UTF-8 text, and bytes that are no text in any character set.
  write(root / "etc/caf\xc3\xa9.conf", "utf-8\n");
  write(root / "etc/raw\xff\xfe", "latin\n");
  fs::create_symlink("caf\xc3\xa9.conf", root / "etc/link-\xc3\xa9");
  // A guest file named as one bcvk placed, in another place: the guest's own.
  write(root / "etc/other/placed.service", "guest's\n");
  // What bcvk placed (recorded, so left out), and machine state.
  write(root / "etc/systemd/system/placed.service", "bcvk's\n");
  write(root / "etc/machine-id", "0123456789abcdef0123456789abcdef\n");
  write(root / "tmp/scratch", "scratch\n");
}

// A tree as a user compares it: per path, type, mode, owner, size, content digest, link target and
// the xattrs an image carries.
std::map<std::string, std::string> listing(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    const std::string path = fs::relative(it->path(), root).string();
    struct stat st {};
    ::lstat(it->path().c_str(), &st);
    std::ostringstream line;
    line << std::oct << st.st_mode << std::dec << " " << st.st_uid << ":" << st.st_gid;
    if (S_ISREG(st.st_mode)) {
      std::ifstream in(it->path(), std::ios::binary);
      std::stringstream content;
      content << in.rdbuf();
      line << " " << st.st_size << " " << sha256_digest(content.str()) << " nlink=" << st.st_nlink
           << " mtime=" << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec;
    }
    if (S_ISLNK(st.st_mode)) {
      line << " -> " << fs::read_symlink(it->path()).string();
    }
    for (const char* name : {"user.origin", "security.capability"}) {
      char value[64];
      const ssize_t n = ::lgetxattr(it->path().c_str(), name, value, sizeof value);
      if (n >= 0) {
        line << " " << name << "=" << std::string(value, static_cast<std::size_t>(n)).size();
      }
    }
    out[path] = line.str();
  }
  return out;
}

std::string differences(const std::map<std::string, std::string>& want, const std::map<std::string, std::string>& got) {
  std::ostringstream out;
  for (const auto& [path, line] : want) {
    const auto it = got.find(path);
    if (it == got.end()) {
      out << "missing " << path << " (" << line << ")\n";
    } else if (it->second != line) {
      out << "differs " << path << ": want " << line << ", got " << it->second << "\n";
    }
  }
  for (const auto& [path, line] : got) {
    if (!want.contains(path)) {
      out << "extra " << path << " (" << line << ")\n";
    }
  }
  return out.str();
}

// An image mounted for reading, released on every path.
class MountedImage {
public:
  explicit MountedImage(std::string image)
      : m_image(std::move(image)), m_path(trimmed(must({"podman", "image", "mount", m_image}))) {}
  ~MountedImage() { run_command({"podman", "image", "umount", m_image}); }
  MountedImage(const MountedImage&) = delete;
  MountedImage& operator=(const MountedImage&) = delete;
  const std::string& path() const { return m_path; }

private:
  std::string m_image;
  std::string m_path;
};

// Commits `upper` (over `base_image`) as `name`, as the commit verb does.
std::string commit_upper(const fs::path& upper, const std::string& lower, const std::string& base_image,
                         const std::string& name, const fs::path& staging, ImageFormat format = ImageFormat::oci) {
  const Fd upper_fd(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  const RootedTree image_tree = RootedTree::open(lower, "base");
  SignalCatcher signals;
  const LayerPlan plan =
      plan_layer(scan_upper(upper_fd, image_tree, signals), commit_exclusions({"etc/systemd/system/placed.service"}));
  fs::remove_all(staging);
  fs::create_directories(staging / "blobs/sha256");
  const fs::path partial = staging / "layer.tar";
  const Fd out(::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  const BlobRef blob = write_layer(plan.entries, upper_fd, out, signals);
  fs::rename(partial, staging / "blobs/sha256" / blob.digest.substr(7));
  SystemProcessRunner runner;
  const std::string base_id = trimmed(must({"podman", "image", "inspect", "--format", "{{.Id}}", base_image}));
  const StoredImage base = read_stored_image(base_id, runner);
  CommitOptions options;
  options.name = "test";
  options.image = name;
  options.changes = {"LABEL committed=yes"};
  const CommittedImage image = committed_image(base.config, base.manifest, blob, validate_commit_options(options),
                                               CommitFacts{"2026-12-07T00:00:00Z", "test", base_image, ""});
  for (const std::string* json : {&image.config, &image.manifest}) {
    std::ofstream(staging / "blobs/sha256" / sha256_digest(*json).substr(7)) << *json;
  }
  std::ofstream(staging / "index.json") << oci_layout_index({sha256_digest(image.manifest), image.manifest.size()});
  std::ofstream(staging / "oci-layout") << oci_layout_marker();
  import_oci_layout(staging.string(), name, format, runner);
  return trimmed(must({"podman", "image", "inspect", "--format", "{{.Id}}", name}));
}

std::vector<std::string> layers_of(const std::string& image) {
  const auto j = nlohmann::json::parse(must({"podman", "image", "inspect", image}));
  return j[0]["RootFS"]["Layers"].get<std::vector<std::string>>();
}

class CommitLayers : public ::testing::Test {
protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "needs root";
    }
    m_work = fs::path("/var/tmp") / ("bcvk-commit-test-" + std::to_string(::getpid()));
    fs::remove_all(m_work);
    fs::create_directories(m_work);
    // A container storage of the test's own: what it mounts and stores never shows in root's
    // (where other tests count image mounts), and nothing is left there.
    std::ofstream(m_work / "storage.conf")
        << "[storage]\ndriver = \"overlay\"\ngraphroot = \"" << (m_work / "storage").string() << "\"\nrunroot = \""
        << (m_work / "run").string() << "\"\n";
    ::setenv("CONTAINERS_STORAGE_CONF", (m_work / "storage.conf").c_str(), 1);
    ASSERT_TRUE(in_own_storage()) << "podman does not use the test's storage";
    make_base_image(m_work);
  }
  void TearDown() override {
    ::umount2((m_work / "merged").c_str(), MNT_DETACH);
    if (in_own_storage()) { // never root's own images
      run_command({"buildah", "rm", "--all"});
      run_command({"podman", "image", "umount", "--all", "--force"});
      run_command({"podman", "rmi", "--all", "--force"});
    }
    ::unsetenv("CONTAINERS_STORAGE_CONF");
    for (const auto& mount : mounts_below(m_work.string())) {
      ::umount2(mount.c_str(), MNT_DETACH);
    }
    fs::remove_all(m_work);
  }
  bool in_own_storage() const {
    return trimmed(run_command({"podman", "info", "--format", "{{.Store.GraphRoot}}"}).out) ==
           (m_work / "storage").string();
  }

  fs::path m_work;
};

std::string slurp_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace

TEST_F(CommitLayers, ACommittedTreeEqualsTheOverlayViewAndBuildahsCommitOfTheSameChanges) {
  std::map<std::string, std::string> overlay_view;
  {
    const MountedImage base(k_base);
    for (const auto* dir : {"upper", "work", "merged"}) {
      fs::create_directories(m_work / dir);
    }
    mount_overlay(base.path(), (m_work / "upper").string(), (m_work / "work").string(), (m_work / "merged").string(),
                  UpperFormat::diffable);
    make_changes(m_work / "merged");
    overlay_view = listing(m_work / "merged");
    ASSERT_EQ(::umount((m_work / "merged").c_str()), 0);
    commit_upper(m_work / "upper", base.path(), k_base, k_ours, m_work / "oci");
  }
  // The image is the base plus one layer, the base's shared (the same layer IDs).
  const auto base_layers = layers_of(k_base);
  const auto our_layers = layers_of(k_ours);
  ASSERT_EQ(our_layers.size(), base_layers.size() + 1);
  EXPECT_TRUE(std::equal(base_layers.begin(), base_layers.end(), our_layers.begin()));
  EXPECT_NE(must({"podman", "image", "tree", k_ours}).find("Top Layer of: [" + k_base), std::string::npos)
      << "podman image tree shows the base's layer below ours";
  const auto labels = nlohmann::json::parse(must({"podman", "image", "inspect", k_ours}))[0]["Labels"];
  EXPECT_EQ(labels["containers.bootc"], "1");
  EXPECT_EQ(labels["committed"], "yes");

  // What the overlay showed, but for what bcvk placed and each machine's own state.
  auto expected = overlay_view;
  // The directories made for the placed file go with it (the base has none there).
  for (const auto* left_out :
       {"etc/systemd/system/placed.service", "etc/systemd/system", "etc/systemd", "etc/machine-id", "tmp/scratch"}) {
    ASSERT_TRUE(expected.erase(left_out)) << left_out;
  }
  {
    const MountedImage ours(k_ours);
    const auto committed = listing(ours.path());
    EXPECT_EQ(differences(expected, committed), "");
    EXPECT_TRUE(committed.contains("etc/other/placed.service")) << "the guest's file of the same name is kept";
    EXPECT_FALSE(committed.contains("etc/motd")) << "the deletion is a whiteout";
    EXPECT_FALSE(committed.contains("usr/share/doc/pkg/README")) << "the replaced directory is opaque";
  }

  // The oracle: the same changes in a buildah container of the base, committed by buildah.
  must({"buildah", "from", "--name", "bcvk-commit-test-oracle", "--pull-never", k_base});
  const std::string oracle_root = trimmed(must({"buildah", "mount", "bcvk-commit-test-oracle"}));
  make_changes(oracle_root);
  for (const auto* left_out : {"etc/systemd", "etc/machine-id", "tmp/scratch"}) {
    fs::remove_all(fs::path(oracle_root) / left_out);
  }
  must({"buildah", "umount", "bcvk-commit-test-oracle"});
  must({"buildah", "commit", "-q", "bcvk-commit-test-oracle", k_oracle});
  {
    const MountedImage ours(k_ours);
    const MountedImage oracle(k_oracle);
    auto oracle_listing = listing(oracle.path());
    auto our_listing = listing(ours.path());
    // Times differ between the two runs of the changes; everything else must not.
    for (auto* l : {&oracle_listing, &our_listing}) {
      for (auto& [path, line] : *l) {
        line = line.substr(0, line.find(" mtime="));
      }
    }
    EXPECT_EQ(differences(oracle_listing, our_listing), "");
  }
}

TEST_F(CommitLayers, ACommitOfACommitStacksAndAMissingBaseIsAClearError) {
  {
    const MountedImage base(k_base);
    for (const auto* dir : {"upper", "work", "merged"}) {
      fs::create_directories(m_work / dir);
    }
    mount_overlay(base.path(), (m_work / "upper").string(), (m_work / "work").string(), (m_work / "merged").string(),
                  UpperFormat::diffable);
    write(m_work / "merged/etc/first", "1\n");
    ASSERT_EQ(::umount((m_work / "merged").c_str()), 0);
    commit_upper(m_work / "upper", base.path(), k_base, k_ours, m_work / "oci");
  }
  fs::remove_all(m_work / "upper");
  fs::remove_all(m_work / "work");
  {
    const MountedImage first(k_ours);
    for (const auto* dir : {"upper", "work"}) {
      fs::create_directories(m_work / dir);
    }
    mount_overlay(first.path(), (m_work / "upper").string(), (m_work / "work").string(), (m_work / "merged").string(),
                  UpperFormat::diffable);
    write(m_work / "merged/etc/second", "2\n");
    fs::remove(m_work / "merged/etc/first");
    ASSERT_EQ(::umount((m_work / "merged").c_str()), 0);
    commit_upper(m_work / "upper", first.path(), k_ours, k_again, m_work / "oci", ImageFormat::docker);
  }
  // --format docker: stored with Docker's media types, on the same layers.
  const auto stored = nlohmann::json::parse(must({"skopeo", "inspect", "--raw", "containers-storage:" + k_again}));
  EXPECT_EQ(stored["mediaType"], "application/vnd.docker.distribution.manifest.v2+json");
  const auto first_layers = layers_of(k_ours);
  const auto again_layers = layers_of(k_again);
  ASSERT_EQ(again_layers.size(), first_layers.size() + 1);
  EXPECT_TRUE(std::equal(first_layers.begin(), first_layers.end(), again_layers.begin()));
  {
    const MountedImage again(k_again);
    EXPECT_TRUE(fs::exists(fs::path(again.path()) / "etc/second"));
    EXPECT_FALSE(fs::exists(fs::path(again.path()) / "etc/first"));
  }
  // An image that is gone cannot be read: a clear error naming it.
  const std::string gone = "0000000000000000000000000000000000000000000000000000000000000000";
  SystemProcessRunner runner;
  try {
    read_stored_image(gone, runner);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read image 000000000000 from local storage"), std::string::npos)
        << e.what();
  }
}

// The verb itself on a kept instance (no VM booted: its file system made and written here): the
// commit stores the image; a guest name the layer format reserves is refused in one line after the
// image was mounted and the file system read, and everything the commit took is given back.
TEST_F(CommitLayers, TheVerbCommitsAKeptInstanceAndReleasesEverythingWhenItRefuses) {
  const fs::path state_dir = m_work / "state";
  fs::create_directories(state_dir);
  fs::permissions(state_dir, fs::perms::owner_all);
  ::setenv("BCVK_STATE_DIR", state_dir.c_str(), 1);
  ::setenv("BCVK_CONNECT", "test:///default", 1);
  const ScopeExit unset([] {
    ::unsetenv("BCVK_STATE_DIR");
    ::unsetenv("BCVK_CONNECT");
  });
  const std::string base_id = trimmed(must({"podman", "image", "inspect", "--format", "{{.Id}}", k_base}));
  const auto keep = [&](const std::string& name, const std::string& guest_file) {
    InstanceState state;
    state.name = name;
    state.image = k_base;
    state.image_id = base_id;
    state.uri = "test:///default";
    state.phase = Phase::stopped;
    state.root_size_bytes = 64 * k_mib;
    state.placed_paths = std::vector<std::string>{"etc/systemd/system/placed.service"};
    test_support::NoImages no_images;
    InstanceOwner owner(InstanceDir::create(VmName::parse(name)), state, no_images);
    owner.save();
    SystemProcessRunner runner;
    create_root_layer(owner.dir().root_image(), state.root_size_bytes, runner);
    const fs::path at = m_work / ("layer-" + name);
    fs::create_directories(at);
    mount_root_layer(owner.dir().root_image(), at.string());
    fs::create_directories(at / "work");
    write(at / "upper/etc/systemd/system/placed.service", "bcvk's\n");
    write(at / "upper" / guest_file, "the guest's\n");
    EXPECT_EQ(::umount(at.c_str()), 0);
    // The loop device goes with the mount, in its own time (a udev probe may still hold it).
    for (int i = 0; i < 100 && !trimmed(run_command({"losetup", "-j", owner.dir().root_image()}).out).empty(); ++i) {
      ::usleep(100000);
    }
    owner.release(Disposition::keep);
    return owner.dir().path();
  };
  const auto bcvk = [](std::vector<std::string> args) {
    args.insert(args.begin(), BCVK_BINARY);
    return run_command(args);
  };

  const std::string good = keep("good", "etc/added.conf");
  const auto committed = bcvk({"ephemeral", "commit", "-q", "good", k_ours});
  ASSERT_EQ(committed.status, 0) << committed.err;
  EXPECT_EQ(trimmed(committed.out), trimmed(must({"podman", "image", "inspect", "--format", "{{.Id}}", k_ours})));
  EXPECT_EQ(layers_of(k_ours).size(), layers_of(k_base).size() + 1);
  {
    const MountedImage ours(k_ours);
    EXPECT_TRUE(fs::exists(fs::path(ours.path()) / "etc/added.conf"));
    EXPECT_FALSE(fs::exists(fs::path(ours.path()) / "etc/systemd/system/placed.service"));
    EXPECT_FALSE(fs::exists(fs::path(ours.path()) / "etc/systemd/system")) << "the directories bcvk made go too";
  }
  // The name is taken now: refused, unless --replace moves it to the new image.
  const auto taken = bcvk({"ephemeral", "commit", "good", k_ours});
  EXPECT_EQ(taken.status, 125);
  EXPECT_EQ(taken.err, "bcvk: error: IMAGE: " + k_ours +
                           " names an image already: pick another name, or pass --replace to move the name to the "
                           "new image\n");
  const auto replaced = bcvk({"ephemeral", "commit", "--replace", "-m", "again", "good", k_ours});
  ASSERT_EQ(replaced.status, 0) << replaced.err;
  EXPECT_EQ(trimmed(replaced.out), trimmed(must({"podman", "image", "inspect", "--format", "{{.Id}}", k_ours})));
  EXPECT_NE(replaced.err.find("Committed VM good as " + k_ours + ": "), std::string::npos) << replaced.err;

  const std::string bad = keep("bad", "etc/.wh.passwd");
  const std::string state_before = slurp_file(bad + "/state.json");
  const auto refused = bcvk({"ephemeral", "commit", "bad", k_again});
  EXPECT_EQ(refused.status, 125);
  EXPECT_EQ(refused.err, "bcvk: error: the guest made /etc/.wh.passwd, a name image layers reserve for deletions "
                         "(.wh.*): rename or remove it in the VM, then commit\n");
  for (const auto& instance : {good, bad}) {
    EXPECT_TRUE(fs::exists(instance + "/released")) << instance << " holds nothing again";
    EXPECT_FALSE(fs::exists(instance + "/commit")) << "no staging is left in " << instance;
    EXPECT_TRUE(mounts_below(instance).empty()) << "nothing stays mounted below " << instance;
  }
  EXPECT_EQ(slurp_file(bad + "/state.json"), state_before) << "the state says it holds nothing, as before";
  EXPECT_EQ(run_command({"podman", "image", "mount"}).out, "") << "the image mount was released";
  EXPECT_EQ(run_command({"podman", "image", "exists", k_again}).status, 1) << "no image was made";
  EXPECT_EQ(trimmed(run_command({"losetup", "-j", bad + "/root.img"}).out), "") << "the loop device went";

  // skopeo failing at the very end, once the layer was written: the staging goes too.
  const fs::path fake_bin = m_work / "fake-bin";
  write(fake_bin / "skopeo",
        "#!/bin/sh\ncase \"$1\" in copy) echo 'storage broke' >&2; exit 1;; esac\nexec /usr/bin/skopeo \"$@\"\n", 0755);
  const std::string path = std::getenv("PATH");
  ::setenv("PATH", (fake_bin.string() + ":" + path).c_str(), 1);
  const auto failed = bcvk({"ephemeral", "commit", "good", k_again});
  ::setenv("PATH", path.c_str(), 1);
  EXPECT_EQ(failed.status, 125);
  EXPECT_EQ(failed.err, "bcvk: error: cannot store the committed image as " + k_again + ": storage broke\n");
  EXPECT_FALSE(fs::exists(good + "/commit")) << "the staging went";
  EXPECT_TRUE(fs::exists(good + "/released"));
  EXPECT_EQ(run_command({"podman", "image", "mount"}).out, "");

  // What a killed commit left (its staging, the instance not marked released) is cleaned up by
  // the next bcvk command's crash recovery.
  fs::create_directories(good + "/commit/blobs/sha256");
  write(good + "/commit/blobs/sha256/layer.partial", "half a layer");
  fs::remove(good + "/released");
  const auto listed = bcvk({"ephemeral", "ps", "-a"});
  EXPECT_EQ(listed.status, 0) << listed.err;
  EXPECT_FALSE(fs::exists(good + "/commit")) << "recovery removed the staging";
  EXPECT_TRUE(fs::exists(good + "/released")) << "and released the instance";
}
