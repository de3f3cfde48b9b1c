// Provisioning the guest as a deployment would: a cloud-init NoCloud seed, an Ignition config, and
// the host's images for podman in the guest. The checks that run on the host before a VM is made,
// and what each puts into the guest (files, kernel arguments, fw_cfg).
#include <gtest/gtest.h>

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <unistd.h>

#include "../common/error_text.hpp"
#include "../common/fixed_facts.hpp"
#include "../common/golden_specs.hpp"
#include "bcvk/host/guest_install.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/xml.hpp"
#include "bcvk/vm/cloud_init_seed.hpp"
#include "bcvk/vm/containers_storage_conf.hpp"
#include "bcvk/vm/domain_xml.hpp"
#include "bcvk/vm/ignition_config.hpp"
#include "bcvk/vm/kernel_cmdline.hpp"
#include "bcvk/vm/plan.hpp"

using namespace bcvk;
namespace fs = std::filesystem;

namespace {

std::string refusal_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  } catch (const Error& e) {
    return std::string("(not a usage error) ") + e.what();
  }
  return "(no error)";
}

using testing_support::error_of;

const std::string k_meta = "instance-id: dev-1\nlocal-hostname: dev\n";
const std::string k_cloud_config = "#cloud-config\nruncmd:\n  - [touch, /var/tmp/done]\n";

std::vector<SeedFile> seed_with(const std::string& user_data, const std::string& meta_data = k_meta) {
  return {{"meta-data", meta_data}, {"user-data", user_data}};
}

std::string seed_refusal(const std::vector<SeedFile>& seed) {
  return refusal_of([&] { check_cloud_init_seed("/srv/seed", seed); });
}

} // namespace

TEST(CloudInitSeed, AcceptsWhatCloudInitRuns) {
  for (const std::string& user_data :
       {k_cloud_config, std::string("#!/bin/sh\necho hi\n"), std::string(""), std::string("\n"),
        std::string("#cloud-config\n"), std::string("#cloud-config\r\nusers: [default]\r\n"),
        std::string("#include\nhttps://example.org/a\n"), std::string("Content-Type: multipart/mixed; boundary=x\n"),
        std::string("#cloud-config-archive\n- type: text/cloud-config\n  content: 'a: 1'\n"),
        std::string("\x1f\x8b\x08\x00 gzip", 9), std::string("#cloud-boothook\n#!/bin/sh\n")}) {
    EXPECT_EQ(seed_refusal(seed_with(user_data)), "(no error)") << user_data;
  }
  // Empty meta-data is an empty mapping; the optional files are checked when given.
  EXPECT_EQ(seed_refusal(seed_with(k_cloud_config, "")), "(no error)");
  auto seed = seed_with(k_cloud_config);
  seed.push_back({"network-config", "version: 2\nethernets:\n  eth0:\n    dhcp4: true\n"});
  seed.push_back({"vendor-data", "#cloud-config\npackages: []\n"});
  EXPECT_EQ(seed_refusal(seed), "(no error)");
}

TEST(CloudInitSeed, RefusesWhatCloudInitWouldNotReadWithTheFileAndTheFix) {
  EXPECT_EQ(seed_refusal({{"user-data", k_cloud_config}}),
            "--cloud-init: /srv/seed has no meta-data file: a NoCloud seed needs user-data and meta-data (either may "
            "be empty; meta-data usually holds 'instance-id: NAME')");
  EXPECT_NE(seed_refusal({{"meta-data", k_meta}}).find("has no user-data file"), std::string::npos);
  EXPECT_EQ(seed_refusal(seed_with(k_cloud_config, "instance-id: [unclosed\n")),
            "--cloud-init: /srv/seed/meta-data: did not find expected ',' or ']' at line 2, column 1");
  EXPECT_EQ(seed_refusal(seed_with(k_cloud_config, "- a\n- b\n")),
            "--cloud-init: /srv/seed/meta-data: it is not a mapping of keys to values");
  EXPECT_EQ(seed_refusal(seed_with("#cloud-config\nusers:\n  - name: a\n bad: indent\n"))
                .rfind("--cloud-init: /srv/seed/user-data: its #cloud-config does not parse: ", 0),
            0U);
  EXPECT_EQ(seed_refusal(seed_with("#cloud-config\n- a list\n")),
            "--cloud-init: /srv/seed/user-data: its #cloud-config does not parse: it is not a mapping of keys to "
            "values");
  EXPECT_EQ(seed_refusal(seed_with("runcmd:\n  - ls\n")),
            "--cloud-init: /srv/seed/user-data: its first line, 'runcmd:', is none that cloud-init runs (cloud-init "
            "would ignore the file): start it with #cloud-config or #!");
  auto seed = seed_with(k_cloud_config);
  seed.push_back({"network-config", "version: 2\n ethernets: x\n"});
  EXPECT_EQ(seed_refusal(seed).rfind("--cloud-init: /srv/seed/network-config: ", 0), 0U) << seed_refusal(seed);
  EXPECT_EQ(seed_refusal(seed_with(k_cloud_config, "instance-id: a\n---\ninstance-id: b\n")),
            "--cloud-init: /srv/seed/meta-data: it holds more than one YAML document ('---'): cloud-init reads "
            "exactly one");
  EXPECT_EQ(seed_refusal(seed_with(k_cloud_config, "---\ninstance-id: a\n...\n")), "(no error)");
  // Terminal controls in a name or line are shown escaped.
  EXPECT_NE(seed_refusal(seed_with("\x1b[2Jrun\n")).find("'\\x1b[2Jrun'"), std::string::npos);
}

TEST(CloudInitSeed, GoesToTheNoCloudSeedDirectoryReadableByRootOnly) {
  auto seed = seed_with(k_cloud_config);
  seed.push_back({"network-config", "version: 2\n"});
  const auto files = cloud_init_seed_files(seed);
  ASSERT_EQ(files.size(), 3U);
  EXPECT_EQ(files[0].path, "var/lib/cloud/seed/nocloud/meta-data");
  EXPECT_EQ(files[1].path, "var/lib/cloud/seed/nocloud/user-data");
  EXPECT_EQ(files[1].content, k_cloud_config);
  EXPECT_EQ(files[2].path, "var/lib/cloud/seed/nocloud/network-config");
  for (const auto& f : files) {
    EXPECT_EQ(f.mode, 0600U) << f.path;
    EXPECT_FALSE(f.symlink);
  }
  // The image's own seed goes first, whole: the seed is the user's alone.
  EXPECT_EQ(cloud_init_seed_removals(), std::vector<std::string>{"var/lib/cloud/seed/nocloud"});
}

// cloud-init deletes a machine's SSH host keys on its first run unless told otherwise; bcvk checks
// the key it made, so a VM with -K of an image with cloud-init keeps it, whichever seed cloud-init
// runs with (the user's, or one the image carries itself).
TEST(CloudInitSeed, KeepsTheHostKeyBcvkMade) {
  const auto drop_in_of = [](const InstancePlan& plan) -> const GuestFile* {
    const auto it = std::find_if(plan.guest_files.begin(), plan.guest_files.end(),
                                 [](const GuestFile& f) { return f.path == k_keep_host_key_drop_in; });
    return it == plan.guest_files.end() ? nullptr : &*it;
  };
  RunConfig config;
  config.image = "localhost/bcvk-test-cloud-init";
  config.ssh_keygen = true;
  LaunchFacts facts = golden::fixed_facts(config);
  facts.image_boot.cloud_init = true;
  facts.image_boot.cloud_init_seed = true; // the image's own seed: no --cloud-init
  const InstancePlan plan = plan_instance(config, facts);
  const GuestFile* drop_in = drop_in_of(plan);
  ASSERT_NE(drop_in, nullptr);
  // A cloud.cfg.d file: user data (merged later) still overrides it.
  EXPECT_EQ(drop_in->path.rfind("etc/cloud/cloud.cfg.d/", 0), 0U);
  EXPECT_NE(drop_in->content.find("\nssh_deletekeys: false\n"), std::string::npos);
  EXPECT_EQ(yaml_problem(drop_in->content, true), "");
  config.cloud_init = "/srv/seed";
  EXPECT_NE(drop_in_of(plan_instance(config, golden::fixed_facts(config))), nullptr) << "with --cloud-init";
  RunConfig plain = config;
  plain.cloud_init.clear();
  facts.image_boot.cloud_init = false;
  EXPECT_EQ(drop_in_of(plan_instance(plain, facts)), nullptr) << "no cloud-init, no drop-in";
  config.ssh_keygen = false;
  EXPECT_EQ(drop_in_of(plan_instance(config, golden::fixed_facts(config))), nullptr) << "no key of bcvk's to keep";
}

// Whatever the image has at the seed directory (files the user did not give, a directory named
// like a seed file, or the directory itself a link, absolute or relative, out of the root) goes
// before the seed is written, and nothing outside the root is touched.
TEST(CloudInitSeed, TheImagesSeedGoesWholeAndOnlyInsideTheRoot) {
  const fs::path dir = fs::temp_directory_path() / ("bcvk-seed-" + std::to_string(::getpid()));
  const auto seed = seed_with(k_cloud_config);
  const fs::path nocloud = "var/lib/cloud/seed/nocloud";
  const auto install = [&](const fs::path& root) {
    install_guest_files(RootedTree::open(root, "the guest root"), cloud_init_seed_removals(),
                        cloud_init_seed_files(seed));
    EXPECT_TRUE(fs::is_directory(fs::symlink_status(root / nocloud))) << root;
    EXPECT_EQ(std::distance(fs::directory_iterator(root / nocloud), {}), 2) << "only the user's files";
    std::ifstream user_data(root / nocloud / "user-data");
    EXPECT_EQ(std::string((std::istreambuf_iterator<char>(user_data)), {}), k_cloud_config);
    EXPECT_EQ(fs::status(root / nocloud / "user-data").permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);
  };
  fs::create_directories(dir / "outside");
  std::ofstream(dir / "outside/precious") << "keep me";
  std::ofstream(dir / "outside/network-config") << "version: 1\n";

  const fs::path odd = dir / "odd";
  fs::create_directories(odd / nocloud / "vendor-data/deeper");
  std::ofstream(odd / nocloud / "network-config") << "version: 1\n";
  fs::create_symlink(dir / "outside/precious", odd / nocloud / "meta-data");
  install(odd);

  const fs::path linked = dir / "linked";
  fs::create_directories(linked / nocloud.parent_path());
  fs::create_directory_symlink(dir / "outside", linked / nocloud);
  install(linked);

  const fs::path relative = dir / "relative";
  fs::create_directories(relative / nocloud.parent_path());
  fs::create_directory_symlink("../../../../../outside", relative / nocloud);
  install(relative);

  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "outside"), {}), 2) << "nothing outside was touched";
  std::ifstream precious(dir / "outside/precious");
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(precious)), {}), "keep me");
  // Installing again (a fresh plan on the same root) replaces what is there.
  EXPECT_NO_THROW(install(odd));
  fs::remove_all(dir);
}

TEST(CloudInitSeed, TheSeedPointsCloudInitAtItWhateverTheImageSays) {
  RunConfig config;
  ImageBootFacts image;
  image.cloud_init = true;
  image.kargs = {"cloud-init=disabled", "quiet"};
  EXPECT_EQ(guest_kargs(config, image), (std::vector<std::string>{"cloud-init=disabled", "quiet"}))
      << "without a seed the image's own choice stands";
  config.cloud_init = "/srv/seed";
  EXPECT_EQ(guest_kargs(config, image), (std::vector<std::string>{"quiet", "ds=nocloud"}));
  config.kargs = {"ds=nocloud;s=file:///srv/other/"};
  EXPECT_EQ(guest_kargs(config, image), (std::vector<std::string>{"quiet", "ds=nocloud;s=file:///srv/other/"}))
      << "the user's own datasource argument wins";
}

TEST(Ignition, TheImageSaysItRunsIgnitionInItsLabels) {
  EXPECT_TRUE(image_declares_ignition({{"coreos.ignition", "1"}}));
  EXPECT_TRUE(image_declares_ignition({{"com.coreos.osname", "fedora-coreos"}, {"containers.bootc", "1"}}));
  EXPECT_FALSE(image_declares_ignition({{"containers.bootc", "1"}}));
  EXPECT_FALSE(image_declares_ignition({}));
}

TEST(Ignition, TheConfigIsJsonWithAVersion) {
  const auto refusal = [](const std::string& text) {
    return refusal_of([&] { check_ignition_config("/srv/a.ign", text); });
  };
  EXPECT_EQ(refusal(R"({"ignition": {"version": "3.4.0"}})"), "(no error)");
  EXPECT_EQ(refusal(R"({"ignition": {"version": "3.5.0-experimental"}, "passwd": {}})"), "(no error)");
  EXPECT_EQ(refusal("variant: fcos\nversion: 1.5.0\n"),
            "--ignition: /srv/a.ign is not JSON (at byte 1): give an Ignition config (Butane makes one: butane "
            "--strict CONFIG.bu > CONFIG.ign)");
  EXPECT_EQ(refusal(R"({"storage": {}})"), "--ignition: /srv/a.ign has no ignition.version, so it is no Ignition "
                                           "config: give one, e.g. {\"ignition\": {\"version\": \"3.4.0\"}}");
  EXPECT_NE(refusal("[1, 2]").find("has no ignition.version"), std::string::npos);
  EXPECT_NE(refusal(R"({"ignition": "3.4.0"})").find("has no ignition.version"), std::string::npos);
  EXPECT_EQ(refusal(R"({"ignition": {"version": 3}})"),
            "--ignition: /srv/a.ign: ignition.version 3 is not a version such as \"3.4.0\": give the config spec "
            "version it follows");
  EXPECT_NE(refusal(R"({"ignition": {"version": "3.4"}})").find("is not a version"), std::string::npos);
}

TEST(Ignition, RunsOnTheFirstBootOnly) {
  RunConfig config;
  config.ignition = "/srv/a.ign";
  EXPECT_EQ(guest_kargs(config, ImageBootFacts{}),
            (std::vector<std::string>{"ignition.platform.id=qemu", "ignition.firstboot"}));
  const std::string first = render_domain_xml(golden::golden_specs()[golden::golden_specs().size() - 2].spec);
  ASSERT_NE(first.find("ignition.firstboot"), std::string::npos);
  const std::string later = for_later_boots(first);
  EXPECT_EQ(later.find("ignition.firstboot"), std::string::npos);
  EXPECT_EQ(later.find("opt/com.coreos/config"), std::string::npos) << "its file is gone after the first start";
  EXPECT_EQ(later.find("type=\"fwcfg\""), std::string::npos) << later;
  EXPECT_NE(later.find("<oemStrings>"), std::string::npos) << "the credentials stay";
  EXPECT_NE(later.find("<cmdline>rootfstype=virtiofs root=rootfs rw console=ttyS0 ignition.platform.id=qemu</cmdline>"),
            std::string::npos);
  EXPECT_EQ(for_later_boots(later), later);
  // A damaged saved domain without a command line still loses the entry, and nothing breaks.
  std::string no_cmdline = first;
  const auto at = no_cmdline.find("<cmdline>");
  no_cmdline.erase(at, no_cmdline.find("</cmdline>") + 10 - at);
  EXPECT_EQ(for_later_boots(no_cmdline).find("opt/com.coreos/config"), std::string::npos);
  // A domain without Ignition is left exactly as it is, a user's own ignition.firstboot included.
  VmSpec own = golden::minimal_spec("vm");
  own.cmdline += " ignition.firstboot";
  const std::string plain = render_domain_xml(own);
  EXPECT_EQ(for_later_boots(plain), plain);
  // The user's own ignition.platform.id wins over bcvk's.
  config.kargs = {"ignition.platform.id=metal"};
  EXPECT_EQ(guest_kargs(config, ImageBootFacts{}),
            (std::vector<std::string>{"ignition.firstboot", "ignition.platform.id=metal"}));
}

TEST(Ignition, AnArm64GuestHasOneFwCfgSysinfoForCredentialsAndTheConfig) {
  VmSpec arm = golden::minimal_spec("bcvk-arm64");
  arm.machine = guest_machine("arm64");
  arm.efi_vars = "/var/lib/bcvk/instances/bcvk-arm64/efi-vars.fd";
  arm.credentials = {{"ssh.authorized_keys.root", "ssh-ed25519 AAAA test\n"}};
  arm.fw_cfg_files = {{"opt/com.coreos/config", "/var/lib/bcvk/instances/bcvk-arm64/ignition.json"}};
  const std::string xml = render_domain_xml(arm);
  std::size_t sysinfos = 0;
  for (auto at = xml.find("<sysinfo"); at != std::string::npos; at = xml.find("<sysinfo", at + 1)) {
    ++sysinfos;
  }
  EXPECT_EQ(sysinfos, 1U) << xml;
  EXPECT_NE(
      xml.find("<entry name=\"opt/com.coreos/config\" file=\"/var/lib/bcvk/instances/bcvk-arm64/ignition.json\"/>"),
      std::string::npos)
      << xml;
  EXPECT_NE(xml.find("opt/io.systemd.credentials/ssh.authorized_keys.root"), std::string::npos) << xml;
}

TEST(ContainersStorageConf, AnImageWithoutOneGetsPodmansDefaultsAndTheStore) {
  const auto conf = toml::parse(storage_conf_with_image_store(std::nullopt, "/run/virtiofs-mnt-hoststorage"));
  EXPECT_EQ(conf["storage"]["driver"].value<std::string>(), "overlay");
  EXPECT_EQ(conf["storage"]["runroot"].value<std::string>(), "/run/containers/storage");
  EXPECT_EQ(conf["storage"]["graphroot"].value<std::string>(), "/var/lib/containers/storage");
  const auto* stores = conf["storage"]["options"]["additionalimagestores"].as_array();
  ASSERT_NE(stores, nullptr);
  ASSERT_EQ(stores->size(), 1U);
  EXPECT_EQ((*stores)[0].value<std::string>(), "/run/virtiofs-mnt-hoststorage");
}

TEST(ContainersStorageConf, TheImagesOwnSettingsStayAndTheStoreComesLast) {
  const ConfigFile image{"/etc/containers/storage.conf", "[storage]\ndriver = \"overlay\"\nrunroot = \"/run/mine\"\n"
                                                         "graphroot = \"/var/mine\"\n[storage.options]\n"
                                                         "additionalimagestores = [\"/usr/lib/containers/storage\"]\n"
                                                         "pull_options = {enable_partial_images = \"true\"}\n"
                                                         "[storage.options.overlay]\nmountopt = \"nodev\"\n"};
  const std::string text = storage_conf_with_image_store(image, "/run/virtiofs-mnt-hoststorage");
  EXPECT_NE(text.find("/etc/containers/storage.conf"), std::string::npos) << "says whose settings it carries";
  const auto conf = toml::parse(text);
  EXPECT_EQ(conf["storage"]["runroot"].value<std::string>(), "/run/mine");
  EXPECT_EQ(conf["storage"]["graphroot"].value<std::string>(), "/var/mine");
  EXPECT_EQ(conf["storage"]["options"]["overlay"]["mountopt"].value<std::string>(), "nodev");
  EXPECT_EQ(conf["storage"]["options"]["pull_options"]["enable_partial_images"].value<std::string>(), "true");
  const auto* stores = conf["storage"]["options"]["additionalimagestores"].as_array();
  ASSERT_NE(stores, nullptr);
  ASSERT_EQ(stores->size(), 2U);
  EXPECT_EQ((*stores)[0].value<std::string>(), "/usr/lib/containers/storage");
  EXPECT_EQ((*stores)[1].value<std::string>(), "/run/virtiofs-mnt-hoststorage");
  // Once is enough (a configuration that already names the store).
  const std::string again =
      storage_conf_with_image_store(ConfigFile{image.path, text}, "/run/virtiofs-mnt-hoststorage");
  EXPECT_EQ(toml::parse(again)["storage"]["options"]["additionalimagestores"].as_array()->size(), 2U);
}

TEST(ContainersStorageConf, RefusesWhatPodmanCouldNotUseWithTheStore) {
  const auto error = [](const std::string& text) {
    return error_of([&] {
      storage_conf_with_image_store(ConfigFile{"/usr/share/containers/storage.conf", text}, "/run/x");
    });
  };
  EXPECT_EQ(error("[storage]\ndriver = \"vfs\"\n"),
            "--bind-storage-ro: the image's /usr/share/containers/storage.conf sets driver = \"vfs\", and podman reads "
            "the host's overlay image store only with the overlay driver: run without --bind-storage-ro, or use "
            "driver = \"overlay\" in the image");
  EXPECT_EQ(error("[storage\n")
                .rfind("--bind-storage-ro: the image's /usr/share/containers/storage.conf is not "
                       "valid TOML (",
                       0),
            0U)
      << error("[storage\n");
  EXPECT_NE(error("storage = 1\n").find("has a 'storage' that is not a table"), std::string::npos);
  EXPECT_NE(error("[storage.options]\nadditionalimagestores = \"/x\"\n").find("that is not a list"), std::string::npos);
  EXPECT_EQ(error("[storage]\ndriver = \"\"\n"), "(no error)") << "an empty driver is podman's automatic choice";
}
