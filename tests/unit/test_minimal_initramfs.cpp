// bcvk's minimal initramfs: what its init reads from the kernel command line, and the archive bcvk
// makes for it (the init itself boots in the e2e tests).
#include <gtest/gtest.h>

#include <algorithm>

#include "bcvk/guest_init/boot_args.hpp"
#include "bcvk/guest_init/layout.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/vm/guest_init_binary.hpp"
#include "bcvk/vm/initramfs_choice.hpp"
#include "bcvk/vm/minimal_initramfs.hpp"

using namespace bcvk;
using namespace bcvk::guest_init;

namespace {

const CpioEntry* find_entry(const std::vector<CpioEntry>& entries, const std::string& path) {
  const auto it = std::find_if(entries.begin(), entries.end(), [&](const CpioEntry& e) { return e.path == path; });
  return it == entries.end() ? nullptr : &*it;
}

} // namespace

TEST(GuestInitArgs, WordsSplitAtSpacesOutsideQuotesAndStopAtDoubleDash) {
  EXPECT_EQ(kernel_words("  a=1 b=\"x y\"\tc \"d e\"\v\"f=g\" h\xa0i -- init-arg more\n"),
            (std::vector<std::string>{"a=1", "b=x y", "c", "d e", "f=g", "h", "i"}))
      << "the kernel's white space, and the quotes next_arg() removes";
  EXPECT_EQ(kernel_words("a=\"x\"y\""), (std::vector<std::string>{"a=x\"y"})) << "only the opening and closing ones";
  EXPECT_EQ(kernel_words("a --x"), (std::vector<std::string>{"a", "--x"})) << "only a lone -- ends them";
  EXPECT_EQ(kernel_words(""), std::vector<std::string>{});
  EXPECT_EQ(kernel_words("\"\""), (std::vector<std::string>{""}));
}

TEST(GuestInitArgs, TheRootAndInitAreReadAsTheKernelWouldRead) {
  const BootArgs args = parse_boot_args("rootfstype=virtiofs root=rootfs ro console=ttyS0 rw rootflags=dax "
                                        "init=/usr/lib/systemd/systemd systemd.unit=multi-user.target");
  EXPECT_EQ(args.root, "rootfs");
  EXPECT_EQ(args.root_fstype, "virtiofs");
  EXPECT_EQ(args.root_flags, "dax");
  EXPECT_FALSE(args.read_only) << "the last of ro and rw wins";
  EXPECT_TRUE(parse_boot_args("root=r rw ro").read_only);
  EXPECT_TRUE(parse_boot_args("root=r").read_only) << "read-only when neither is given, as in the kernel";
  EXPECT_EQ(args.init, "/usr/lib/systemd/systemd");
  EXPECT_EQ(parse_boot_args("root=a root=b").root, "b") << "the last one, as the kernel takes it";
  EXPECT_EQ(parse_boot_args("root=a -- root=b").root, "a") << "after -- the words are the init's";
}

TEST(GuestInitArgs, ModulesGetTheirCommandLineParametersAsModprobeGivesThem) {
  const BootArgs args = parse_boot_args("fuse.max_user_bgreq=77 virtio-pci.force_legacy=1 virtio_pci.x=\"a b\" "
                                        "systemd.unit=x .bad=1 trailing. fuse.flag");
  EXPECT_EQ(module_params(args, "fuse"), "max_user_bgreq=77 flag");
  EXPECT_EQ(module_params(args, "virtio_pci"), "force_legacy=1 x=\"a b\"") << "- and _ are the same";
  EXPECT_EQ(module_params(args, "virtio-pci"), "force_legacy=1 x=\"a b\"");
  EXPECT_EQ(module_params(args, "virtiofs"), "");
  EXPECT_EQ(module_params(args, "systemd"), "unit=x") << "a module named like that would get it too";
}

TEST(GuestInitArgs, ModuleFilesNameTheirModuleAndCompression) {
  EXPECT_EQ(module_name_of_file("virtio_pci.ko"), "virtio_pci");
  EXPECT_EQ(module_name_of_file("virtio-rng.ko.xz"), "virtio_rng");
  EXPECT_EQ(module_name_of_file("kernel/drivers/virtio/virtio_pci.ko"), "virtio_pci");
  EXPECT_FALSE(is_compressed_module("fuse.ko"));
  EXPECT_TRUE(is_compressed_module("fuse.ko.xz"));
  EXPECT_TRUE(is_compressed_module("fuse.ko.zst"));
}

TEST(MinimalInitramfs, HoldsTheInitTheModulesInOrderAConsoleAndTheMountPoints) {
  const auto entries = minimal_initramfs(
      {{"kernel/fs/fuse/fuse.ko", "FUSE"}, {"kernel/fs/fuse/virtiofs.ko.xz", "VIRTIOFS"}}, "INIT-BYTES");
  const CpioEntry* init = find_entry(entries, k_init_path);
  ASSERT_NE(init, nullptr);
  EXPECT_EQ(init->data, "INIT-BYTES");
  EXPECT_EQ(init->mode, 0755U);
  const CpioEntry* order = find_entry(entries, k_load_order);
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(order->data, "fuse.ko\nvirtiofs.ko.xz\n");
  const CpioEntry* module = find_entry(entries, std::string(k_modules_dir) + "/virtiofs.ko.xz");
  ASSERT_NE(module, nullptr);
  EXPECT_EQ(module->data, "VIRTIOFS");
  const CpioEntry* console = find_entry(entries, "dev/console");
  ASSERT_NE(console, nullptr);
  EXPECT_EQ(console->kind, CpioEntry::Kind::char_device);
  EXPECT_EQ(console->device_major, 5U);
  EXPECT_EQ(console->device_minor, 1U);
  for (const char* dir : {"dev", "proc", "sys", k_new_root}) {
    const CpioEntry* e = find_entry(entries, dir);
    ASSERT_NE(e, nullptr) << dir;
    EXPECT_EQ(e->kind, CpioEntry::Kind::directory) << dir;
  }
  // Nothing of the image's initramfs, and nothing that would make systemd believe it runs in one.
  EXPECT_EQ(find_entry(entries, "etc/initrd-release"), nullptr);
}

TEST(MinimalInitramfs, ADeviceNodeIsWrittenWithItsNumbersAndNoData) {
  const std::string archive = newc_archive({{CpioEntry::Kind::char_device, "dev/console", "ignored", 0600, 5, 1}});
  EXPECT_EQ(archive.substr(6 + 8, 8), "00002180") << "a character device, 0600";
  EXPECT_EQ(archive.substr(6 + 6 * 8, 8), "00000000") << "no data";
  EXPECT_EQ(archive.substr(6 + 9 * 8, 8), "00000005") << "rdevmajor";
  EXPECT_EQ(archive.substr(6 + 10 * 8, 8), "00000001") << "rdevminor";
  EXPECT_EQ(archive.find("ignored"), std::string::npos);
}

TEST(MinimalInitramfs, TheFingerprintFollowsTheInitsBytes) {
  EXPECT_EQ(init_fingerprint(""), "811c9dc5") << "FNV-1a's offset basis";
  EXPECT_EQ(init_fingerprint("a"), "e40c292c");
  EXPECT_NE(init_fingerprint("init-1"), init_fingerprint("init-2"));
  EXPECT_EQ(init_fingerprint("abc").find('-'), std::string::npos) << "it sits in an entry's prefix";
}

TEST(MinimalInitramfs, ThisBuildEmbedsAStaticInitForTheBuildHostsArchitecture) {
  const auto arches = guest_init_architectures();
#if defined(__x86_64__)
  const std::string host = "amd64";
  const char machine[] = {0x3e, 0x00}; // EM_X86_64
#elif defined(__aarch64__)
  const std::string host = "arm64";
  const char machine[] = {0xb7, 0x00}; // EM_AARCH64
#endif
  ASSERT_NE(std::find(arches.begin(), arches.end(), host), arches.end());
  const auto init = guest_init_binary(host);
  ASSERT_TRUE(init);
  ASSERT_GT(init->size(), 64U);
  EXPECT_EQ(init->substr(0, 4), "\x7f"
                                "ELF");
  EXPECT_EQ(init->substr(18, 2), std::string_view(machine, 2)) << "built for the guest's architecture";
  EXPECT_EQ(init->substr(16, 2), std::string_view("\x02\x00", 2)) << "ET_EXEC: static, no interpreter needed";
  EXPECT_EQ(init->find("/lib64/ld-linux"), std::string_view::npos);
  EXPECT_FALSE(guest_init_binary("riscv64"));
}

TEST(InitramfsChoice, ParsesTheTwoKindsAndRefusesOthersInOneLine) {
  EXPECT_EQ(parse_initramfs_choice("image"), InitramfsChoice::image);
  EXPECT_EQ(parse_initramfs_choice("minimal"), InitramfsChoice::minimal);
  try {
    parse_initramfs_choice("tiny\n");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--initramfs: unsupported value 'tiny\\x0a': use image or minimal");
  }
  EXPECT_EQ(recorded_initramfs_choice(""), InitramfsChoice::image) << "an instance of an older bcvk";
  EXPECT_EQ(recorded_initramfs_choice(to_string(InitramfsChoice::minimal)), InitramfsChoice::minimal);
}

TEST(MinimalInitramfs, ModuleFilesAreKeptByNameSoAClashIsNamed) {
  EXPECT_EQ(clashing_module_file({"kernel/a/fuse.ko", "kernel/b/virtiofs.ko.xz"}), std::nullopt);
  EXPECT_EQ(clashing_module_file({"kernel/a/fuse.ko", "kernel/b/fuse.ko"}), "fuse.ko");
  EXPECT_EQ(clashing_module_file({"kernel/a/"}), "") << "a directory is no module";
  EXPECT_THROW(minimal_initramfs({{"kernel/a/fuse.ko", "A"}, {"kernel/b/fuse.ko", "B"}}, "INIT"), Error);
}
