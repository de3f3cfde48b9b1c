// What an image says about its own boot: kargs.d, SELinux, cloud-init and its sshd, read inside
// the image and turned into kernel arguments or a refusal before boot.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "../common/error_text.hpp"
#include "bcvk/host/image_facts.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/vm/initrd_addon.hpp"
#include "bcvk/vm/kernel_cmdline.hpp"
#include "bcvk/vm/sshd_config.hpp"

using namespace bcvk;
namespace fs = std::filesystem;

namespace {

using testing_support::error_of;

class ImageFacts : public ::testing::Test {
protected:
  void SetUp() override {
    m_root = fs::temp_directory_path() / ("bcvk-facts-" + std::to_string(::getpid()) + "-" +
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(m_root);
  }
  void TearDown() override { fs::remove_all(m_root); }
  void write(const std::string& rel, const std::string& content) {
    fs::create_directories((m_root / rel).parent_path());
    std::ofstream(m_root / rel, std::ios::binary) << content;
  }
  void link(const std::string& rel, const std::string& target) {
    fs::create_directories((m_root / rel).parent_path());
    fs::create_symlink(target, m_root / rel);
  }
  RootedTree tree() const { return RootedTree::open(m_root.string(), "image img"); }
  void give_sshd() {
    write("usr/sbin/sshd", "ELF");
    write("usr/lib/systemd/system/ssh.service", "[Service]\n");
  }
  fs::path m_root;
};

} // namespace

TEST(KargsFromToml, ArgumentsAndArchitectures) {
  EXPECT_EQ(kargs_from_toml("a.toml", "kargs = [\"console=ttyS0,115200\", \"mitigations=auto,nosmt\"]\n", "x86_64"),
            (std::vector<std::string>{"console=ttyS0,115200", "mitigations=auto,nosmt"}));
  EXPECT_EQ(kargs_from_toml("b.toml", "kargs = [\"x=1\"]\nmatch-architectures = [\"x86_64\", \"aarch64\"]\n", "x86_64"),
            (std::vector<std::string>{"x=1"}));
  EXPECT_TRUE(kargs_from_toml("c.toml", "kargs = [\"x=1\"]\nmatch-architectures = [\"s390x\"]\n", "x86_64").empty());
  EXPECT_EQ(kargs_from_toml("d.toml", "# comment\nkargs = []\n", "x86_64"), std::vector<std::string>{});
  EXPECT_EQ(kargs_from_toml("e.toml", "kargs = ['msg=\"hello world\"', 'note=a b']\n", "x86_64"),
            (std::vector<std::string>{"msg=\"hello world\"", "note=a b"}))
      << "white space is quoted on the command line, as for --karg";
}

TEST(KargsFromToml, MalformedFilesAreNamed) {
  const std::pair<const char*, const char*> bad[] = {
      {"kargs = [\"a\"", "10-x.toml: invalid TOML at line 1"},
      {"kargs = \"quiet\"\n", "10-x.toml: 'kargs' must be an array of strings"},
      {"kargs = [1, 2]\n", "10-x.toml: every entry of 'kargs' must be a string"},
      {"karg = [\"quiet\"]\n", "10-x.toml: no 'kargs' array"},
      {"kargs = [\"\"]\n", "invalid kernel argument ''"},
      {"kargs = [\"a\\nb\"]\n", "10-x.toml: kernel argument 'a\\x0ab' contains a control character (0x0a)"},
      {"kargs = [\"a\\u009bb\"]\n", "contains a control character (U+009b)"},
      {"kargs = [\"x=\\\"y\"]\n", "10-x.toml: kernel argument 'x=\"y' has an unbalanced double quote"},
      {"kargs = [\"q\"]\nmatch-architectures = \"x86_64\"\n", "'match-architectures' must be an array"},
  };
  for (const auto& [text, fragment] : bad) {
    const std::string message = error_of([&] { kargs_from_toml("10-x.toml", text, "x86_64"); });
    EXPECT_NE(message.find(fragment), std::string::npos) << text << " -> " << message;
  }
}

TEST(GuestKargs, ImageFirstThenDefaultsThenTheUsersOwn) {
  RunConfig config;
  config.kargs = {"quiet"};
  ImageBootFacts image;
  image.kargs = {"console=tty0", "mitigations=off"};
  EXPECT_EQ(guest_kargs(config, image), (std::vector<std::string>{"console=tty0", "mitigations=off", "quiet"}));
  image.selinux = true;
  image.cloud_init = true;
  EXPECT_EQ(guest_kargs(config, image), (std::vector<std::string>{"console=tty0", "mitigations=off", "selinux=0",
                                                                  "enforcing=0", "cloud-init=disabled", "quiet"}));
  image.cloud_init_seed = true;
  EXPECT_EQ(guest_kargs(config, image)[4], "ds=nocloud") << "the image's own seed is used, no cloud is waited for";
  config.kargs = {"enforcing=0", "ds=None"};
  EXPECT_EQ(guest_kargs(config, image),
            (std::vector<std::string>{"console=tty0", "mitigations=off", "enforcing=0", "ds=None"}))
      << "the user's own selinux/enforcing/cloud-init arguments replace bcvk's defaults";
  config.kargs = {"selinuxfoo=1"};
  EXPECT_EQ(guest_kargs(config, image)[2], "selinux=0") << "only the exact key counts";
}

TEST(GuestKargs, TheImagesOwnEnforcingGivesWayToBcvksDefaultButItsDatasourceStays) {
  RunConfig config;
  ImageBootFacts image;
  image.selinux = true;
  image.cloud_init = true;
  image.kargs = {"security=selinux", "enforcing=1", "selinux=1", "ds=nocloud;s=/var/seed/"};
  EXPECT_EQ(guest_kargs(config, image),
            (std::vector<std::string>{"security=selinux", "ds=nocloud;s=/var/seed/", "selinux=0", "enforcing=0"}))
      << "the image's enforcing=1 would win in libselinux (first one found), so it is left out";
  config.kargs = {"enforcing=1"};
  EXPECT_EQ(guest_kargs(config, image), (std::vector<std::string>{"security=selinux", "enforcing=1", "selinux=1",
                                                                  "ds=nocloud;s=/var/seed/", "enforcing=1"}))
      << "with the user's own choice the image's arguments stay as they are";
}

TEST(SshdSetting, FirstValueWinsAcrossIncludesAndMatchIsConditional) {
  const std::map<std::string, std::vector<ConfigFile>> includes{
      {"/etc/ssh/sshd_config.d/*.conf",
       {{"/etc/ssh/sshd_config.d/10-a.conf", "# nothing\n"},
        {"/etc/ssh/sshd_config.d/50-b.conf", "  permitrootlogin=No\n"}}},
      {"/etc/ssh/extra.conf", {{"/etc/ssh/extra.conf", "PermitRootLogin yes\n"}}},
  };
  const IncludeExpander expand = [&includes](const std::string& pattern) {
    const auto it = includes.find(pattern);
    return it == includes.end() ? std::vector<ConfigFile>{} : it->second;
  };
  const auto value = [&](const std::string& text) {
    const auto s = sshd_setting("PermitRootLogin", {"/etc/ssh/sshd_config", text}, expand);
    return s ? s->value + "@" + s->file : "(unset)";
  };
  EXPECT_EQ(value("Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n"),
            "no@/etc/ssh/sshd_config.d/50-b.conf");
  EXPECT_EQ(value("PermitRootLogin prohibit-password\nInclude /etc/ssh/sshd_config.d/*.conf\n"),
            "prohibit-password@/etc/ssh/sshd_config");
  EXPECT_EQ(value("Include extra.conf sshd_config.d/*.conf\n"), "yes@/etc/ssh/extra.conf") << "relative to /etc/ssh";
  EXPECT_EQ(value("Match User git\n  PermitRootLogin no\n"), "(unset)");
  EXPECT_EQ(value("#PermitRootLogin no\n"), "(unset)");
  EXPECT_EQ(value("PermitRootLogin \"forced-commands-only\"\n"), "forced-commands-only@/etc/ssh/sshd_config");
  EXPECT_TRUE(forbids_root_key_login("no"));
  EXPECT_TRUE(forbids_root_key_login("forced-commands-only"));
  EXPECT_FALSE(forbids_root_key_login("prohibit-password"));
  EXPECT_FALSE(forbids_root_key_login("yes"));
  const IncludeExpander loop = [](const std::string&) {
    return std::vector<ConfigFile>{{"/etc/ssh/loop.conf", "Include loop.conf\n"}};
  };
  EXPECT_NE(error_of([&] {
              sshd_setting("PermitRootLogin", {"/etc/ssh/sshd_config", "Include loop.conf\n"}, loop);
            }).find("nested deeper"),
            std::string::npos);
}

TEST_F(ImageFacts, KargsDirInFileNameOrderWithOwnedArgumentsDropped) {
  write("usr/lib/bootc/kargs.d/20-b.toml", "kargs = [\"b=2\", \"root=/dev/sda\"]\n");
  write("usr/lib/bootc/kargs.d/10-a.toml", "kargs = [\"a=1\"]\n");
  write("usr/lib/bootc/kargs.d/30-other-arch.toml", "kargs = [\"z=9\"]\nmatch-architectures = [\"riscv64\"]\n");
  write("usr/lib/bootc/kargs.d/README", "not toml");
  const auto facts = read_image_boot_facts(tree(), "img", "amd64");
  EXPECT_EQ(facts.kargs, (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_FALSE(facts.selinux);
  EXPECT_FALSE(facts.cloud_init);
}

TEST_F(ImageFacts, KargsDirFollowsTheGuestsArchitectureNotTheHosts) {
  write("usr/lib/bootc/kargs.d/10-all.toml", "kargs = [\"all=1\"]\n");
  write("usr/lib/bootc/kargs.d/20-arm.toml", "kargs = [\"arm=1\"]\nmatch-architectures = [\"aarch64\"]\n");
  write("usr/lib/bootc/kargs.d/30-x86.toml", "kargs = [\"x86=1\"]\nmatch-architectures = [\"x86_64\"]\n");
  EXPECT_EQ(read_image_boot_facts(tree(), "img", "arm64").kargs, (std::vector<std::string>{"all=1", "arm=1"}));
  EXPECT_EQ(read_image_boot_facts(tree(), "img", "aarch64").kargs, (std::vector<std::string>{"all=1", "arm=1"}));
  EXPECT_EQ(read_image_boot_facts(tree(), "img", "amd64").kargs, (std::vector<std::string>{"all=1", "x86=1"}));
}

TEST_F(ImageFacts, AMalformedKargsFileIsRefusedByName) {
  write("usr/lib/bootc/kargs.d/10-bad.toml", "kargs = [\n");
  const std::string message = error_of([&] { read_image_boot_facts(tree(), "img", "amd64"); });
  EXPECT_NE(message.find("image img: /usr/lib/bootc/kargs.d/10-bad.toml: invalid TOML"), std::string::npos) << message;
}

TEST_F(ImageFacts, LinksInTheImageNeverReachHostFiles) {
  // An absolute link is resolved inside the image: the host's file of that name is never read.
  link("usr/lib/bootc/kargs.d/10-host.toml", "/etc/hostname");
  write("etc/hostname", "kargs = [\"from=inside-the-image\"]\n");
  link("etc/ssh/sshd_config", "../../../../../etc/ssh/image_sshd_config");
  write("etc/ssh/image_sshd_config", "PermitRootLogin no\n");
  give_sshd();
  EXPECT_EQ(read_image_boot_facts(tree(), "img", "amd64").kargs, (std::vector<std::string>{"from=inside-the-image"}));
  EXPECT_NE(error_of([&] { require_ssh_server(tree(), "img"); }).find("PermitRootLogin no"), std::string::npos)
      << "a climbing link stops at the image's root";
}

TEST_F(ImageFacts, SelinuxAndCloudInitAreNoticed) {
  write("etc/selinux/config", "SELINUX=enforcing\n");
  write("usr/bin/cloud-init", "#!/usr/bin/python3\n");
  auto facts = read_image_boot_facts(tree(), "img", "amd64");
  EXPECT_TRUE(facts.selinux);
  EXPECT_TRUE(facts.cloud_init);
  EXPECT_FALSE(facts.cloud_init_seed);
  fs::create_directories(m_root / "var/lib/cloud/seed/nocloud");
  EXPECT_TRUE(read_image_boot_facts(tree(), "img", "amd64").cloud_init_seed);
}

TEST_F(ImageFacts, AnImageWithoutSshdIsRefusedWithTheExecuteHint) {
  std::string message = error_of([&] { require_ssh_server(tree(), "img"); });
  EXPECT_NE(message.find("image img has no SSH server (no sshd)"), std::string::npos) << message;
  EXPECT_NE(message.find("--execute"), std::string::npos) << message;
  write("usr/sbin/sshd", "ELF");
  message = error_of([&] { require_ssh_server(tree(), "img"); });
  EXPECT_NE(message.find("no ssh.service or sshd.service unit"), std::string::npos) << message;
  write("usr/lib/systemd/system/sshd.service", "[Service]\n");
  EXPECT_NO_THROW(require_ssh_server(tree(), "img")) << "no sshd_config: sshd's defaults allow a key";
}

TEST_F(ImageFacts, RootLoginForbiddenInADropInIsRefused) {
  give_sshd();
  write("etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n");
  write("etc/ssh/sshd_config.d/50-hardening.conf", "PermitRootLogin no\n");
  const std::string message = error_of([&] { require_ssh_server(tree(), "img"); });
  EXPECT_NE(message.find("PermitRootLogin no in /etc/ssh/sshd_config.d/50-hardening.conf"), std::string::npos)
      << message;
  EXPECT_NE(message.find("--execute"), std::string::npos) << message;
  write("etc/ssh/sshd_config.d/40-allow.conf", "PermitRootLogin prohibit-password\n");
  EXPECT_NO_THROW(require_ssh_server(tree(), "img")) << "an earlier file's value wins";
}

TEST(InitrdAddon, ModulesLoadDependenciesFirstLikeModprobe) {
  const std::string dep = "kernel/fs/fuse/fuse.ko:\n"
                          "kernel/fs/fuse/virtiofs.ko: kernel/drivers/virtio/virtio.ko "
                          "kernel/drivers/virtio/virtio_ring.ko kernel/fs/fuse/fuse.ko\n"
                          "kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko\n"
                          "kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko "
                          "kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n"
                          "../../../etc/evil.ko: kernel/fs/fuse/fuse.ko\n"
                          "kernel/x/evil2.ko: /etc/shadow\n";
  EXPECT_EQ(
      modules_to_load(dep, k_virtiofs_modules),
      (std::vector<std::string>{"kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio.ko",
                                "kernel/drivers/virtio/virtio_pci_modern_dev.ko", "kernel/drivers/virtio/virtio_pci.ko",
                                "kernel/fs/fuse/fuse.ko", "kernel/fs/fuse/virtiofs.ko"}));
  EXPECT_TRUE(modules_to_load("", k_virtiofs_modules).empty()) << "built in: nothing to load";
  EXPECT_TRUE(modules_to_load(dep, {"evil", "evil2"}).empty()) << "paths out of the module tree are ignored";
}

TEST(InitrdAddon, AnImageListingEndlessDependenciesIsRefused) {
  std::string dep = "kernel/fs/fuse/virtiofs.ko:";
  for (int i = 0; i < 100000; ++i) {
    dep += " kernel/m" + std::to_string(i) + ".ko";
  }
  try {
    modules_to_load(dep + "\n", k_virtiofs_modules);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("lists more than 32 modules"), std::string::npos) << e.what();
  }
}

TEST(InitrdAddon, TheCmdlineHookGoesWhereEitherDracutLooks) {
  const auto entries = virtiofs_initrd_addon({});
  for (const char* path :
       {"lib/dracut/hooks/cmdline/95-bcvk-virtiofs.sh", "var/lib/dracut/hooks/cmdline/95-bcvk-virtiofs.sh"}) {
    EXPECT_TRUE(std::any_of(entries.begin(), entries.end(), [&](const CpioEntry& e) { return e.path == path; }))
        << path;
  }
}

TEST(InitrdAddon, NewcArchiveIsWellFormed) {
  const std::string archive = newc_archive({{CpioEntry::Kind::directory, "d", "", 0755},
                                            {CpioEntry::Kind::file, "d/f", "hello", 0644},
                                            {CpioEntry::Kind::symlink, "d/l", "f", 0777}});
  EXPECT_EQ(archive.size() % 4, 0U);
  EXPECT_EQ(archive.substr(0, 6), "070701");
  // Header fields: mode (2nd) and file size (7th), 8 hex digits each after the magic.
  EXPECT_EQ(archive.substr(6 + 8, 8), "000041ED") << "directory 0755";
  const auto file = archive.find("d/f");
  ASSERT_NE(file, std::string::npos);
  const std::size_t header = file - 110;
  EXPECT_EQ(archive.substr(header + 6 + 8, 8), "000081A4") << "regular file 0644";
  EXPECT_EQ(archive.substr(header + 6 + 6 * 8, 8), "00000005");
  EXPECT_NE(archive.find("hello"), std::string::npos);
  EXPECT_NE(archive.find("TRAILER!!!"), std::string::npos);
  for (std::size_t at = 0; (at = archive.find("070701", at)) != std::string::npos; at += 6) {
    EXPECT_EQ(at % 4, 0U) << "every header starts on a 4-byte boundary";
  }
}

TEST(InitrdAddon, AddsOnlyFilesAndOwnDirectories) {
  const auto entries = virtiofs_initrd_addon({{"kernel/fs/fuse/virtiofs.ko", "MOD"}});
  for (const auto& e : entries) {
    if (e.kind == CpioEntry::Kind::directory) {
      // A directory entry over an existing link (/lib -> usr/lib) would replace the link.
      EXPECT_TRUE(e.path.rfind("usr/lib/bcvk-initrd", 0) == 0 ||
                  e.path == "usr/lib/systemd/system/sysroot.mount.requires")
          << e.path;
    }
  }
  const auto script = std::find_if(entries.begin(), entries.end(),
                                   [](const CpioEntry& e) { return e.path.ends_with("load-virtiofs.sh"); });
  ASSERT_NE(script, entries.end());
  EXPECT_NE(script->data.find("for file in virtiofs.ko; do"), std::string::npos) << script->data;
}

TEST_F(ImageFacts, ADoubleDashFromTheImageIsDroppedSoBcvksArgumentsStayTheKernels) {
  write("usr/lib/bootc/kargs.d/10-a.toml", "kargs = [\"a=1\", \"--\", \"b=2\"]\n");
  EXPECT_EQ(read_image_boot_facts(tree(), "img", "amd64").kargs, (std::vector<std::string>{"a=1", "b=2"}));
}

TEST_F(ImageFacts, AnImageCannotMakeBcvkReadWithoutEnd) {
  // A fan-out of Includes: every file includes every file, 4 levels deep, 20 files.
  give_sshd();
  std::string fan;
  for (int i = 0; i < 20; ++i) {
    fan += "Include /etc/ssh/fan/*.conf\n";
  }
  for (int i = 0; i < 20; ++i) {
    write("etc/ssh/fan/" + std::to_string(i) + ".conf", fan);
  }
  write("etc/ssh/sshd_config", fan + "Include \"\"\n");
  EXPECT_NE(error_of([&] { require_ssh_server(tree(), "img"); }).find("sshd configuration is larger than bcvk reads"),
            std::string::npos);
  // Many kargs.d files (links to one are as cheap to make as the files themselves).
  write("usr/lib/bootc/kargs.d/00.toml", "kargs = [\"a=1\"]\n");
  for (int i = 1; i < 100; ++i) {
    link("usr/lib/bootc/kargs.d/" + std::to_string(i) + ".toml", "00.toml");
  }
  EXPECT_NE(error_of([&] { read_image_boot_facts(tree(), "img", "amd64"); }).find("kargs.d is larger than bcvk reads"),
            std::string::npos);
}

TEST_F(ImageFacts, GuestMountPointsThroughALinkOrAFileAreRefusedNamingTheTarget) {
  fs::create_directories(m_root / "var/home");
  link("home", "var/home");
  link("opt", "/var/opt");
  write("etc2", "a file");
  const auto message = [&](const std::string& guest_path) {
    return error_of([&] { check_guest_mount_points(tree(), {BindSpec{"/h", "x", false, guest_path}}); });
  };
  EXPECT_NE(message("/home/u/code")
                .find("--bind: guest path '/home/u/code' goes through /home, a symbolic link in "
                      "the image (to var/home), and systemd does not mount over a link: use the "
                      "path it leads to, /var/home/u/code"),
            std::string::npos)
      << message("/home/u/code");
  EXPECT_NE(message("/opt").find("use the path it leads to, /var/opt"), std::string::npos) << message("/opt");
  EXPECT_NE(message("/etc2/x").find("which is not a directory in the image"), std::string::npos);
  EXPECT_NO_THROW(check_guest_mount_points(tree(), {BindSpec{"/h", "x", false, "/var/home/u"}}));
  EXPECT_NO_THROW(check_guest_mount_points(tree(), {BindSpec{"/h", "x", false, "/workspace/deep"}}));
  EXPECT_NO_THROW(check_guest_mount_points(tree(), {BindSpec{"/h", "x", false, ""}})) << "a NAME share";
}

// systemd writes root's authorized_keys below root's home as the image resolves it: a bootc image
// links /root into /var, and a link out of the image stays inside it.
TEST_F(ImageFacts, RootsHomeIsResolvedInsideTheImage) {
  EXPECT_EQ(root_home_in(tree()), "root") << "no /root at all";
  // bootc images link /root to a directory systemd makes at boot: named by the link's text.
  link("root", "var/roothome");
  EXPECT_EQ(root_home_in(tree()), "var/roothome") << "a link to a directory the image does not ship";
  fs::remove(m_root / "root");
  link("root", "/var/./roothome/");
  EXPECT_EQ(root_home_in(tree()), "var/roothome");
  fs::remove(m_root / "root");
  fs::create_directories(m_root / "root");
  EXPECT_EQ(root_home_in(tree()), "root");
  fs::remove(m_root / "root");
  fs::create_directories(m_root / "var/roothome");
  link("root", "var/roothome");
  EXPECT_EQ(root_home_in(tree()), "var/roothome");
  fs::remove(m_root / "root");
  link("root", "/var/roothome");
  EXPECT_EQ(root_home_in(tree()), "var/roothome") << "absolute links resolve at the image's root";
  fs::remove(m_root / "root");
  link("root", "../../../srv");
  EXPECT_EQ(root_home_in(tree()), "srv") << "a link climbing out, to nothing yet, is clamped as well";
  fs::create_directories(m_root / "srv");
  EXPECT_EQ(root_home_in(tree()), "srv") << "a link climbing out is clamped at the image's root, as in the guest";
}
