// `ephemeral commit`: the upper layer as layer entries, the exclusion list, the options, and the
// new image's config and manifest (goldens under tests/golden/commit/, regenerated with
// BCVK_REGENERATE_GOLDEN=1 and reviewed by hand).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "../common/error_text.hpp"
#include "bcvk/instance/instance_dir.hpp"
#include "bcvk/util/digest.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/vm/commit_options.hpp"
#include "bcvk/vm/committed_image.hpp"
#include "bcvk/vm/layer_diff.hpp"

using namespace bcvk;
using testing_support::error_of;

namespace {

const std::filesystem::path k_golden_dir = std::filesystem::path(BCVK_GOLDEN_DIR) / "commit";

void expect_golden(const std::string& name, const std::string& text) {
  const auto path = k_golden_dir / name;
  if (std::getenv("BCVK_REGENERATE_GOLDEN") != nullptr) {
    std::filesystem::create_directories(k_golden_dir);
    std::ofstream(path) << text;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing golden file " << path << "; regenerate it";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(text, expected.str()) << name;
}

UpperNode dir(const std::string& path, unsigned mode = 0755, bool in_image = true) {
  UpperNode node;
  node.path = path;
  node.kind = NodeKind::directory;
  node.mode = mode;
  node.mtime_sec = 1000;
  if (in_image) {
    node.lower_directory = UpperNode::LowerDirectory{mode, 0, 0};
  }
  return node;
}

UpperNode file(const std::string& path, std::uint64_t inode, std::uint64_t nlink = 1) {
  UpperNode node;
  node.path = path;
  node.kind = NodeKind::regular;
  node.mode = 0644;
  node.inode = inode;
  node.nlink = nlink;
  node.size = 5;
  node.mtime_sec = 2000;
  node.mtime_nsec = 5;
  return node;
}

// overlayfs's whiteout: a 0/0 character device; the kernel shares one inode among them all.
UpperNode whiteout(const std::string& path) {
  UpperNode node;
  node.path = path;
  node.kind = NodeKind::char_device;
  node.inode = 77;
  node.nlink = 3;
  return node;
}

// A tree that holds every case a layer has to get right.
std::vector<UpperNode> sample_upper() {
  std::vector<UpperNode> nodes;
  nodes.push_back(dir("etc"));
  auto conf = file("etc/app.conf", 10);
  conf.xattrs = {{"security.selinux", "system_u:object_r:etc_t:s0"},
                 {"trusted.overlay.origin", "x"},
                 {"user.app", "kept"},
                 {"user.overlay.origin", "dropped"}};
  nodes.push_back(conf);
  nodes.push_back(file("etc/machine-id", 11));
  nodes.push_back(whiteout("etc/motd"));
  nodes.push_back(dir("etc/ssh"));
  nodes.push_back(file("etc/ssh/ssh_host_ed25519_key", 12));
  nodes.push_back(dir("etc/systemd", 0755));
  nodes.push_back(dir("etc/systemd/system", 0755));
  nodes.push_back(file("etc/systemd/system/bcvk-journal.service", 13));
  // A guest unit with a bcvk unit's name, in another place: the guest's, kept.
  nodes.push_back(dir("etc/systemd/user", 0755, false));
  nodes.push_back(file("etc/systemd/user/bcvk-journal.service", 14));
  auto opt = dir("opt/data", 0755, false);
  opt.xattrs = {{"trusted.overlay.opaque", "y"}};
  nodes.push_back(dir("opt"));
  nodes.push_back(opt);
  nodes.push_back(file("opt/data/new", 15));
  nodes.push_back(dir("usr"));
  nodes.push_back(dir("usr/bin"));
  // Hard links: the first name is left out (placed by bcvk), so the second carries the content.
  nodes.push_back(file("usr/bin/placed-by-bcvk", 20, 3));
  nodes.push_back(file("usr/bin/tool", 20, 3));
  nodes.push_back(file("usr/bin/tool-alias", 20, 3));
  auto ping = file("usr/bin/ping", 21);
  ping.xattrs = {{"security.capability", std::string("\x01\x00\x00\x02", 4)}};
  nodes.push_back(ping);
  nodes.push_back(whiteout("usr/bin/removed"));
  UpperNode link;
  link.path = "usr/bin/vi";
  link.kind = NodeKind::symlink;
  link.mode = 0777;
  link.link_target = "/usr/bin/vim.basic";
  nodes.push_back(link);
  UpperNode socket;
  socket.path = "usr/bin/control.sock";
  socket.kind = NodeKind::socket;
  nodes.push_back(socket);
  UpperNode fifo;
  fifo.path = "usr/bin/pipe";
  fifo.kind = NodeKind::fifo;
  fifo.mode = 0600;
  nodes.push_back(fifo);
  nodes.push_back(dir("var"));
  nodes.push_back(dir("var/log"));
  nodes.push_back(dir("var/log/journal", 02755));
  nodes.push_back(file("var/log/journal/system.journal", 30));
  nodes.push_back(dir("tmp", 01777));
  nodes.push_back(file("tmp/scratch", 31));
  return nodes;
}

ExclusionList sample_exclusions() {
  return commit_exclusions({"etc/systemd/system/bcvk-journal.service", "usr/bin/placed-by-bcvk"});
}

CommitRequest request_with(std::vector<std::string> changes) {
  CommitOptions options;
  options.name = "web";
  options.image = "localhost/web:v2";
  options.message = "nginx configured";
  options.author = "A Developer <dev@example.org>";
  options.changes = std::move(changes);
  return validate_commit_options(options);
}

const std::string k_base_config = R"({"architecture":"amd64","os":"linux","created":"2026-01-01T00:00:00Z",
"config":{"Labels":{"containers.bootc":"1"},"Cmd":["/sbin/init"],"Env":["PATH=/usr/bin"]},
"rootfs":{"type":"layers","diff_ids":["sha256:1111111111111111111111111111111111111111111111111111111111111111"]},
"history":[{"created":"2026-01-01T00:00:00Z","created_by":"import"}]})";

const std::string k_base_docker_manifest = R"({"schemaVersion":2,
"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":10,"digest":"sha256:cc"},
"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":1234,
"digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222"}]})";

const BlobRef k_layer{"sha256:3333333333333333333333333333333333333333333333333333333333333333", 10240};
const CommitFacts k_facts{"2026-12-07T10:00:00Z", "web", "quay.io/example/base:1",
                          "sha256:4444444444444444444444444444444444444444444444444444444444444444"};

} // namespace

TEST(CommitLayer, MatchesTheGoldenListing) {
  const LayerPlan plan = plan_layer(sample_upper(), sample_exclusions());
  expect_golden("layer.txt", describe_layer(plan));
  EXPECT_TRUE(plan.changes_var == false) << "only left-out and copied-up entries below /var";
}

TEST(CommitLayer, WhiteoutsSharingOneInodeAreNotHardLinks) {
  const LayerPlan plan = plan_layer({dir("etc"), whiteout("etc/a"), whiteout("etc/b")}, ExclusionList());
  ASSERT_EQ(plan.entries.size(), 3U);
  EXPECT_EQ(plan.entries[1].path, "etc/.wh.a");
  EXPECT_EQ(plan.entries[1].kind, EntryKind::whiteout);
  EXPECT_EQ(plan.entries[2].path, "etc/.wh.b");
  EXPECT_EQ(plan.entries[2].kind, EntryKind::whiteout);
}

TEST(CommitLayer, AHardLinkWhoseOtherNameIsLeftOutCarriesTheContent) {
  const LayerPlan plan = plan_layer(sample_upper(), sample_exclusions());
  const auto find = [&plan](const std::string& path) {
    for (const auto& e : plan.entries) {
      if (e.path == path) {
        return e;
      }
    }
    ADD_FAILURE() << path << " not in the layer";
    return LayerEntry();
  };
  EXPECT_EQ(find("usr/bin/tool").kind, EntryKind::regular);
  EXPECT_EQ(find("usr/bin/tool-alias").kind, EntryKind::hardlink);
  EXPECT_EQ(find("usr/bin/tool-alias").link_target, "usr/bin/tool");
}

TEST(CommitLayer, RedirectsMetacopyAndReservedNamesAreRefusedInOneLine) {
  auto renamed = dir("usr/lib/moved");
  renamed.xattrs = {{"trusted.overlay.redirect", "/usr/lib/old"}};
  EXPECT_EQ(error_of([&] {
              plan_layer({dir("usr"), dir("usr/lib"), renamed}, ExclusionList());
            }),
            "the guest's change to /usr/lib/moved is recorded as a redirect (a renamed directory that points back "
            "into the image), which an image layer cannot carry: the VM's overlay was not mounted for commits (made "
            "by an older bcvk); rebuild the change in a VM made by this bcvk");
  auto meta = file("usr/bin/x", 5);
  meta.xattrs = {{"trusted.overlay.metacopy", ""}};
  EXPECT_NE(error_of([&] { plan_layer({meta}, ExclusionList()); }).find("metacopy"), std::string::npos);
  auto xattr_whiteout = dir("usr");
  xattr_whiteout.xattrs = {{"trusted.overlay.opaque", "x"}};
  EXPECT_NE(error_of([&] { plan_layer({xattr_whiteout}, ExclusionList()); }).find("xattr whiteout"), std::string::npos);
  EXPECT_EQ(error_of([&] {
              plan_layer({dir("etc"), file("etc/.wh.passwd", 3)}, ExclusionList());
            }),
            "the guest made /etc/.wh.passwd, a name image layers reserve for deletions (.wh.*): rename or remove it "
            "in the VM, then commit");
  // A name with terminal controls is shown escaped.
  EXPECT_EQ(error_of([&] { plan_layer({file(".wh.\x1b[2J", 3)}, ExclusionList()); }).find('\x1b'), std::string::npos);
}

TEST(CommitLayer, ANewEmptyDirectoryIsKeptACopiedUpOneIsNot) {
  const LayerPlan plan = plan_layer(
      {dir("srv"), dir("srv/new", 0750, false), dir("var"), dir("var/lib"), file("var/lib/systemd-random", 2)},
      commit_exclusions({"var/lib/systemd-random"}));
  ASSERT_EQ(plan.entries.size(), 2U);
  EXPECT_EQ(plan.entries[0].path, "srv");
  EXPECT_EQ(plan.entries[1].path, "srv/new");
  EXPECT_FALSE(plan.changes_var);
  EXPECT_TRUE(plan.warnings.empty());
}

TEST(CommitLayer, AChangeBelowVarIsWarnedAboutOnce) {
  const LayerPlan plan =
      plan_layer({dir("var"), dir("var/lib"), file("var/lib/a", 2), file("var/lib/b", 3)}, ExclusionList());
  EXPECT_TRUE(plan.changes_var);
  ASSERT_EQ(plan.warnings.size(), 1U);
  EXPECT_EQ(plan.warnings[0], "the guest changed /var: bootc applies an image's /var only when it installs a system, "
                              "never when it updates one");
}

TEST(CommitLayer, DirectoriesBcvkMadeGoOnesWithAttributesStay) {
  auto acl_dir = dir("srv/shared");
  acl_dir.xattrs = {{"system.posix_acl_default", "acl"}};
  const LayerPlan plan =
      plan_layer({dir("etc"), dir("etc/bcvk-made", 0755, false), file("etc/bcvk-made/unit", 2), dir("root", 0700),
                  dir("root/.ssh", 0700, false), file("root/.ssh/authorized_keys", 3), dir("srv"), acl_dir},
                 commit_exclusions({"etc/bcvk-made/unit", "root/.ssh/authorized_keys"}));
  EXPECT_EQ(describe_layer(plan), "dir      755 0:0 srv\n"
                                  "dir      755 0:0 srv/shared xattr:system.posix_acl_default\n"
                                  "left out etc/bcvk-made/unit\n"
                                  "left out root/.ssh/authorized_keys\n");
}

TEST(CommitLayer, WhatTheGuestPutNextToBcvksFilesOrChangedAboveThemIsKept) {
  auto root = dir("root", 0700);
  root.mode = 0750; // the guest's chmod of the image's /root, with bcvk's key below it
  const LayerPlan plan =
      plan_layer({dir("etc"), dir("etc/made", 0755, false), file("etc/made/bcvk", 2), file("etc/made/guest", 3), root,
                  dir("root/.ssh", 0700, false), file("root/.ssh/authorized_keys", 4)},
                 commit_exclusions({"etc/made/bcvk", "root/.ssh/authorized_keys"}));
  EXPECT_EQ(describe_layer(plan), "dir      755 0:0 etc\n"
                                  "dir      755 0:0 etc/made\n"
                                  "file     644 0:0 etc/made/guest (5 bytes)\n"
                                  "dir      750 0:0 root\n"
                                  "left out etc/made/bcvk\n"
                                  "left out root/.ssh/authorized_keys\n");
}

TEST(CommitLayer, AnXattrNameALayerCannotCarryIsLeftOutWithAWarning) {
  auto conf = file("app.conf", 2);
  conf.xattrs = {{"user.a b", "1"}, {"user.ok", "2"}, {"user.x=y", "3"}};
  const LayerPlan plan = plan_layer({conf}, ExclusionList());
  ASSERT_EQ(plan.entries.size(), 1U);
  EXPECT_EQ(plan.entries[0].xattrs, (std::vector<std::pair<std::string, std::string>>{{"user.ok", "2"}}));
  ASSERT_EQ(plan.warnings.size(), 2U);
  EXPECT_EQ(plan.warnings[0],
            "left out the extended attribute 'user.a b' of /app.conf: an image layer cannot carry its name as it is");
}

TEST(CommitLayer, LogAndCacheDirectoriesStayTheirFilesGo) {
  const LayerPlan plan =
      plan_layer({dir("var"), dir("var/log"), dir("var/log/nginx", 0750, false), file("var/log/nginx/access.log", 2),
                  file("var/log/wtmp", 3), dir("var/cache"), file("var/cache/ld.so.cache", 4), dir("var/lib"),
                  dir("var/lib/cloud", 0755, false), dir("var/lib/cloud/instances", 0755, false),
                  file("var/lib/cloud/instances/x", 5), dir("root"), file("root/.bash_history", 6)},
                 machine_state_exclusions());
  EXPECT_EQ(describe_layer(plan),
            "dir      755 0:0 var\n"
            "dir      755 0:0 var/log\n"
            "dir      750 0:0 var/log/nginx\n"
            "left out var/log/nginx/access.log\n"
            "left out var/log/wtmp\n"
            "left out var/cache/ld.so.cache\n"
            "left out var/lib/cloud\n"
            "left out var/lib/cloud/instances\n"
            "left out var/lib/cloud/instances/x\n"
            "left out root/.bash_history\n"
            "warning  the guest changed /var: bootc applies an image's /var only when it installs a "
            "system, never when it updates one\n");
}

TEST(CommitLayer, TheListingShowsGuestNamesEscaped) {
  UpperNode link;
  link.path = "evil\x1b]0;title\x07";
  link.kind = NodeKind::symlink;
  link.link_target = "\x1b[2J";
  const std::string listing = describe_layer(plan_layer({link}, ExclusionList()));
  EXPECT_EQ(listing.find('\x1b'), std::string::npos) << listing;
  EXPECT_EQ(listing.find('\x07'), std::string::npos) << listing;
}

TEST(CommitExclusions, RecordedPathsAreNamesNotPatterns) {
  const ExclusionList list = commit_exclusions({"etc/odd[1]*name"});
  EXPECT_NE(list.reason_for("etc/odd[1]*name"), nullptr);
  EXPECT_EQ(list.reason_for("etc/odd1-name"), nullptr);
  EXPECT_NE(list.reason_for("etc/machine-id"), nullptr);
  EXPECT_EQ(list.reason_for("etc/machine-info"), nullptr);
  EXPECT_NE(list.reason_for("etc/ssh/ssh_host_rsa_key.pub"), nullptr);
  EXPECT_EQ(list.reason_for("etc/ssh/sshd_config"), nullptr);
  EXPECT_NE(list.reason_for("tmp/a/b"), nullptr);
  EXPECT_EQ(list.reason_for("tmpfiles"), nullptr);
  EXPECT_NE(list.reason_for("etc/bcvk/execute.done"), nullptr);
  EXPECT_NE(list.reason_for("var/log/messages"), nullptr);
  EXPECT_EQ(list.reason_for("var/log/nginx", true), nullptr) << "a directory below /var/log is kept";
  EXPECT_NE(list.reason_for("var/log/journal", true), nullptr) << "but not the journal's";
  EXPECT_NE(list.reason_for("var/roothome/.bash_history"), nullptr);
  EXPECT_NE(list.reason_for("home/dev/.bash_history"), nullptr);
  EXPECT_EQ(list.reason_for("home/dev/.bashrc"), nullptr);
  EXPECT_NE(list.reason_for("var/lib/NetworkManager/secret_key"), nullptr);
  EXPECT_TRUE(list.holds_placed("etc/odd[1]*name") == false);
}

TEST(CommitRecord, PlacedPathsSurviveTheStateFileAndAreChecked) {
  InstanceState state;
  state.name = "web";
  EXPECT_FALSE(state_from_json(state_to_json(state)).placed_paths.has_value()) << "an older bcvk's instance";
  state.placed_paths = std::vector<std::string>{"etc/a", "var/roothome/.ssh/authorized_keys"};
  EXPECT_EQ(state_from_json(state_to_json(state)).placed_paths, state.placed_paths);
  for (const std::string bad : {"../etc", "/etc/a", "etc//a", "etc/../../x", ""}) {
    state.placed_paths = std::vector<std::string>{bad};
    EXPECT_NE(error_of([&] { state_from_json(state_to_json(state)); }).find("corrupt instance state"),
              std::string::npos)
        << bad;
  }
}

TEST(CommitOptionsTest, NamesAreNormalisedAsPodmanStoresThem) {
  EXPECT_EQ(normalise_new_image_name("web"), "localhost/web:latest");
  EXPECT_EQ(normalise_new_image_name("team/web:v2"), "localhost/team/web:v2");
  EXPECT_EQ(normalise_new_image_name("localhost/web"), "localhost/web:latest");
  EXPECT_EQ(normalise_new_image_name("registry.example:5000/a/b_c.d-e:1.0"), "registry.example:5000/a/b_c.d-e:1.0");
  EXPECT_EQ(error_of([] { normalise_new_image_name("Web"); }),
            "IMAGE: 'Web' is not a repository name: use lower-case letters, digits and single '.', '_' or '-' between "
            "them, e.g. localhost/my-bootc");
  EXPECT_NE(error_of([] { normalise_new_image_name("web@sha256:aa"); }).find("names a digest"), std::string::npos);
  EXPECT_NE(error_of([] { normalise_new_image_name("web:"); }).find("tag"), std::string::npos);
  EXPECT_NE(error_of([] { normalise_new_image_name("a/../b"); }).find("not a repository name"), std::string::npos);
  EXPECT_NE(error_of([] { normalise_new_image_name("-web"); }).find("starts with '-'"), std::string::npos);
  EXPECT_NE(error_of([] { normalise_new_image_name("bad_host:1/x"); }).find("registry"), std::string::npos);
}

TEST(CommitOptionsTest, LabelChangesAreParsedOthersRefused) {
  EXPECT_EQ(parse_label_change("LABEL a=1 b=\"two words\" \"c d\"=3"),
            (std::vector<KeyValue>{{"a", "1"}, {"b", "two words"}, {"c d", "3"}}));
  EXPECT_EQ(parse_label_change("label version=2"), (std::vector<KeyValue>{{"version", "2"}}));
  EXPECT_EQ(parse_label_change("LABEL eq=a=b"), (std::vector<KeyValue>{{"eq", "a=b"}}));
  EXPECT_EQ(error_of([] { parse_label_change("CMD /bin/sh"); }),
            "--change 'CMD /bin/sh': only LABEL is supported (a bootc image boots systemd, not an entry point): set "
            "other instructions in a Containerfile FROM the committed image");
  EXPECT_NE(error_of([] { parse_label_change("LABEL novalue"); }).find("is not KEY=VALUE"), std::string::npos);
  EXPECT_NE(error_of([] { parse_label_change("LABEL"); }).find("sets nothing"), std::string::npos);
  EXPECT_NE(error_of([] { parse_label_change("LABEL a=\"open"); }).find("not closed"), std::string::npos);
  EXPECT_NE(error_of([] { parse_label_change("LABEL =v"); }).find("needs a key"), std::string::npos);
  EXPECT_NE(error_of([] { parse_label_change("LABEL a=\x1b"); }).find("control characters"), std::string::npos);
}

TEST(CommitOptionsTest, FormatIsOciOrDocker) {
  CommitOptions options;
  options.name = "web";
  options.image = "web";
  options.format = "docker";
  EXPECT_EQ(validate_commit_options(options).format, ImageFormat::docker);
  options.format = "squashfs";
  EXPECT_EQ(error_of([&] { validate_commit_options(options); }),
            "--format 'squashfs': the image format is 'oci' or 'docker'");
}

TEST(CommittedImageTest, ConfigAndManifestMatchTheGoldens) {
  const auto request = request_with({"LABEL version=2 containers.bootc=1"});
  const CommittedImage image = committed_image(k_base_config, k_base_docker_manifest, k_layer, request, k_facts);
  expect_golden("config.json", nlohmann::json::parse(image.config).dump(2) + "\n");
  expect_golden("manifest.json", nlohmann::json::parse(image.manifest).dump(2) + "\n");
  const auto manifest = nlohmann::json::parse(image.manifest);
  EXPECT_EQ(manifest["config"]["digest"], sha256_digest(image.config)) << "the config is named by its own digest";
  EXPECT_EQ(manifest["config"]["size"], image.config.size());
  const auto config = nlohmann::json::parse(image.config);
  EXPECT_EQ(config["rootfs"]["diff_ids"].size(), manifest["layers"].size());
  EXPECT_EQ(config["config"]["Cmd"], nlohmann::json::array({"/sbin/init"})) << "the base's config is carried over";
}

TEST(CommittedImageTest, BrokenOrForeignBasesAreRefused) {
  const auto request = request_with({});
  EXPECT_NE(error_of([&] {
              committed_image("[]", k_base_docker_manifest, k_layer, request, k_facts);
            }).find("is not what local storage keeps"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              committed_image(k_base_config, R"({"schemaVersion":2,"manifests":[]})", k_layer, request, k_facts);
            }).find("a list"),
            std::string::npos);
  const std::string two_layers =
      R"({"schemaVersion":2,"layers":[{"digest":"sha256:a","size":1,"mediaType":"application/vnd.oci.image.layer.v1.tar"},
      {"digest":"sha256:b","size":1,"mediaType":"application/vnd.oci.image.layer.v1.tar"}]})";
  EXPECT_NE(error_of([&] { committed_image(k_base_config, two_layers, k_layer, request, k_facts); }).find("differ"),
            std::string::npos);
  const std::string odd_type =
      R"({"schemaVersion":2,"layers":[{"digest":"sha256:a","size":1,"mediaType":"application/x-squashfs"}]})";
  EXPECT_NE(error_of([&] { committed_image(k_base_config, odd_type, k_layer, request, k_facts); }).find("media type"),
            std::string::npos);
}

TEST(CommittedImageTest, TheLayoutIndexNamesTheManifest) {
  const auto index = nlohmann::json::parse(oci_layout_index({"sha256:55", 99}));
  EXPECT_EQ(index["manifests"][0]["digest"], "sha256:55");
  EXPECT_EQ(index["manifests"][0]["size"], 99);
  EXPECT_EQ(nlohmann::json::parse(oci_layout_marker())["imageLayoutVersion"], "1.0.0");
}

TEST(Digest, Sha256OfKnownInputs) {
  EXPECT_EQ(sha256_digest(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_digest("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
