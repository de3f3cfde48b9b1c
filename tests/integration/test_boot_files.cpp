// Boot files without copies (needs root, no VM): the initramfs with bcvk's add-on is made once per
// image and shared, the last instance to leave removes it, and each instance sees its kernel and
// initramfs through read-only mounts that nobody, libvirt included, can write or chown through.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <dirent.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "../common/child_holding.hpp"
#include "../common/directory_names.hpp"
#include "../common/pe_file.hpp"
#include "bcvk/host/initrd_append.hpp"
#include "bcvk/host/mounts.hpp"
#include "bcvk/host/staging.hpp"
#include "bcvk/host/shared_boot_files.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/vm/guest_init_binary.hpp"
#include "bcvk/vm/minimal_initramfs.hpp"

using namespace bcvk;
using bcvk::test_support::names_in;
namespace fs = std::filesystem;

namespace {

const std::string k_image_id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string contents(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class SharedBootFilesTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0U) << "these tests mount files: run them as root";
    m_base = fs::temp_directory_path() / ("bcvk-boot-files-" + std::to_string(::getpid()));
    fs::create_directories(m_base / "state");
    fs::permissions(m_base, fs::perms(0755));
    fs::permissions(m_base / "state", fs::perms(0711));
    if (const char* old = std::getenv("BCVK_STATE_DIR")) {
      m_old_state = old;
    }
    ::setenv("BCVK_STATE_DIR", (m_base / "state").c_str(), 1);
    write("image/usr/lib/modules/6.1/vmlinuz", "KERNEL");
    write("image/usr/lib/modules/6.1/initramfs.img", "INITRD");
    write("host-secret", "SECRET");
  }
  void TearDown() override {
    if (m_old_state) {
      ::setenv("BCVK_STATE_DIR", m_old_state->c_str(), 1);
    } else {
      ::unsetenv("BCVK_STATE_DIR");
    }
    if (m_base.empty()) {
      return;
    }
    for (const auto& m : mounts_below(m_base.string())) {
      ::umount2(m.c_str(), MNT_DETACH);
    }
    fs::remove_all(m_base);
  }
  void write(const std::string& rel, const std::string& content) {
    fs::create_directories((m_base / rel).parent_path());
    std::ofstream(m_base / rel, std::ios::binary) << content;
  }
  RootedTree image() const { return RootedTree::open((m_base / "image").string(), "image test"); }
  static BootArtifacts pair() {
    return {"6.1", "/usr/lib/modules/6.1/vmlinuz", "/usr/lib/modules/6.1/initramfs.img", ""};
  }
  SharedBootFiles use(const std::string& user, const BootArtifacts& boot = pair(), const InitramfsRecipe& recipe = {}) {
    return use_shared_boot_files(image(), boot, k_image_id, VmName::parse(user), recipe);
  }
  fs::path entry() const { return m_base / "state/boot" / ("v2-" + k_image_id); }

  fs::path m_base;
  std::optional<std::string> m_old_state;
};

const InstanceExists k_everyone_exists = [](const VmName&) { return true; };
const InstanceExists k_nobody_exists = [](const VmName&) { return false; };
const ImagePresent k_image_gone = [](const std::string&) { return false; };
const ImagePresent k_image_present = [](const std::string&) { return true; };

TEST_F(SharedBootFilesTest, OneCopyPerImageSharedByItsInstancesAndRemovedWithTheLast) {
  const SharedBootFiles a = use("vm-a");
  const SharedBootFiles b = use("vm-b");
  EXPECT_FALSE(a.kernel) << "the image's own kernel is never copied";
  struct stat sa {
  }, sb{};
  ASSERT_EQ(::fstat(a.initrd.get(), &sa), 0);
  ASSERT_EQ(::fstat(b.initrd.get(), &sb), 0);
  EXPECT_EQ(sa.st_ino, sb.st_ino) << "the second instance must reuse the first one's file";
  EXPECT_EQ(sa.st_mode & 07777, 0644U);
  EXPECT_EQ(sa.st_uid, 0U);
  const std::string initrd = contents(entry() / "initramfs.img");
  EXPECT_EQ(initrd.substr(0, 6), "INITRD");
  EXPECT_NE(initrd.find("070701"), std::string::npos) << "the virtiofs add-on is appended";
  EXPECT_EQ(names_in(entry() / "users"), (std::set<std::string>{"vm-a", "vm-b"}));
  EXPECT_EQ(fs::status(m_base / "state/boot").permissions() & fs::perms::all, fs::perms(0700));

  leave_shared_boot_files(k_image_id, VmName::parse("vm-a"), k_everyone_exists, k_image_gone);
  ASSERT_TRUE(fs::exists(entry())) << "vm-b still uses it";
  EXPECT_EQ(names_in(entry() / "users"), (std::set<std::string>{"vm-b"}));
  leave_shared_boot_files(k_image_id, VmName::parse("vm-b"), k_everyone_exists, k_image_gone);
  EXPECT_EQ(names_in(m_base / "state/boot"), (std::set<std::string>{"lock"}));
}

// Booting an image again copies nothing while the image is in local storage; its files go with it.
TEST_F(SharedBootFilesTest, FilesNobodyUsesStayWhileTheirImageIsPresent) {
  const SharedBootFiles a = use("vm-a");
  struct stat first {};
  ASSERT_EQ(::fstat(a.initrd.get(), &first), 0);
  leave_shared_boot_files(k_image_id, VmName::parse("vm-a"), k_everyone_exists, k_image_present);
  ASSERT_TRUE(fs::exists(entry()));
  EXPECT_TRUE(names_in(entry() / "users").empty());
  const SharedBootFiles b = use("vm-b");
  struct stat again {};
  ASSERT_EQ(::fstat(b.initrd.get(), &again), 0);
  EXPECT_EQ(first.st_ino, again.st_ino) << "made again although nothing changed";
  // Another image's instance leaves after this image was removed: the unused files go too.
  leave_shared_boot_files(k_image_id, VmName::parse("vm-b"), k_everyone_exists, k_image_present);
  leave_shared_boot_files(std::string(64, 'e'), VmName::parse("vm-c"), k_everyone_exists, k_image_gone);
  EXPECT_EQ(names_in(m_base / "state/boot"), (std::set<std::string>{"lock"}));
}

TEST_F(SharedBootFilesTest, UsersThatNoLongerExistDoNotKeepTheFiles) {
  use("vm-a");
  use("crashed");
  // "crashed" was removed without leaving (its owner was killed): the next one to leave drops it.
  leave_shared_boot_files(k_image_id, VmName::parse("vm-a"), k_nobody_exists, k_image_gone);
  EXPECT_FALSE(fs::exists(entry()));
}

TEST_F(SharedBootFilesTest, AKilledBuildIsSweptAndNeverUsed) {
  write("state/boot/.new-v2-" + k_image_id + "/initramfs.img", "HALF");
  fs::permissions(m_base / "state/boot", fs::perms(0700));
  const SharedBootFiles a = use("vm-a");
  EXPECT_EQ(contents(entry() / "initramfs.img").substr(0, 6), "INITRD");
  write("state/boot/.new-v2-other/initramfs.img", "HALF");
  leave_shared_boot_files(k_image_id, VmName::parse("vm-a"), k_everyone_exists, k_image_gone);
  EXPECT_EQ(names_in(m_base / "state/boot"), (std::set<std::string>{"lock"}));
}

TEST_F(SharedBootFilesTest, AnIncompleteEntryIsMadeAgainNotUsed) {
  use("vm-a");
  // What a power loss could leave: the list of users, no initramfs.
  fs::remove(entry() / "initramfs.img");
  const SharedBootFiles b = use("vm-b");
  EXPECT_EQ(contents(entry() / "initramfs.img").substr(0, 6), "INITRD");
  EXPECT_EQ(names_in(entry() / "users"), (std::set<std::string>{"vm-b"})) << "vm-a records itself on its next start";
  write("state/boot/.old-v2-" + k_image_id + "/initramfs.img", "HALF-DELETED");
  leave_shared_boot_files(k_image_id, VmName::parse("vm-b"), k_everyone_exists, k_image_gone);
  EXPECT_EQ(names_in(m_base / "state/boot"), (std::set<std::string>{"lock"}));
}

TEST_F(SharedBootFilesTest, LeavingOneImageLeavesAnotherImagesFilesAlone) {
  use("vm-a");
  const std::string other = std::string(64, 'f');
  use_shared_boot_files(image(), pair(), other, VmName::parse("vm-a"), {}); // a new vm-a, of another image
  leave_shared_boot_files(k_image_id, VmName::parse("vm-a"), k_everyone_exists, k_image_gone);
  EXPECT_FALSE(fs::exists(entry()));
  EXPECT_EQ(names_in(m_base / "state/boot" / ("v2-" + other) / "users"), (std::set<std::string>{"vm-a"}));
}

// QEMU reads the kernel as libvirt's unprivileged user, through a mount that keeps the image's
// mode: a kernel only its owner may read is copied once, world-readable, into the shared files.
TEST_F(SharedBootFilesTest, AKernelOnlyItsOwnerMayReadIsSharedAsAReadableCopy) {
  EXPECT_FALSE(use("vm-a").kernel) << "a readable kernel is mounted from the image as it is";
  leave_shared_boot_files(k_image_id, VmName::parse("vm-a"), k_everyone_exists, k_image_gone);
  fs::permissions(m_base / "image/usr/lib/modules/6.1/vmlinuz", fs::perms(0600));
  const SharedBootFiles a = use("vm-a");
  ASSERT_TRUE(a.kernel);
  struct stat st {};
  ASSERT_EQ(::fstat(a.kernel->get(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644U);
  EXPECT_EQ(contents(entry() / "vmlinuz"), "KERNEL");
}

TEST_F(SharedBootFilesTest, AUkisKernelAndInitramfsAreExtractedOnce) {
  write("image/boot/EFI/Linux/x.efi", ::test_support::make_pe({{".linux", "UKIKERNEL"}, {".initrd", "UKIINITRD"}}));
  const SharedBootFiles a = use("vm-a", {"6.1", "", "", "/boot/EFI/Linux/x.efi"});
  ASSERT_TRUE(a.kernel);
  EXPECT_EQ(contents(entry() / "vmlinuz"), "UKIKERNEL");
  EXPECT_EQ(contents(entry() / "initramfs.img").substr(0, 9), "UKIINITRD");
}

// The minimal initramfs is an entry of its own next to the image's: bcvk's archive with the image's
// modules and the init, never the image's initramfs; a UKI gives only its kernel.
TEST_F(SharedBootFilesTest, TheMinimalInitramfsIsAnEntryOfItsOwnWithTheImagesModulesAndTheInit) {
  write("image/usr/lib/modules/6.1/modules.dep",
        "kernel/fs/fuse/virtiofs.ko: kernel/fs/fuse/fuse.ko\nkernel/fs/fuse/fuse.ko:\n");
  write("image/usr/lib/modules/6.1/kernel/fs/fuse/virtiofs.ko", "VIRTIOFS-MODULE");
  write("image/usr/lib/modules/6.1/kernel/fs/fuse/fuse.ko", "FUSE-MODULE");
  const InitramfsRecipe minimal{InitramfsChoice::minimal, {}, "THE-INIT"};
  const SharedBootFiles image_kind = use("vm-a");
  const SharedBootFiles a = use("vm-b", pair(), minimal);
  const SharedBootFiles b = use("vm-c", pair(), minimal);
  struct stat sa {
  }, sb{}, si{};
  ASSERT_EQ(::fstat(a.initrd.get(), &sa), 0);
  ASSERT_EQ(::fstat(b.initrd.get(), &sb), 0);
  ASSERT_EQ(::fstat(image_kind.initrd.get(), &si), 0);
  EXPECT_EQ(sa.st_ino, sb.st_ino) << "one minimal initramfs per image";
  EXPECT_NE(sa.st_ino, si.st_ino) << "never the image's own initramfs";
  EXPECT_EQ(sa.st_mode & 07777, 0644U);
  EXPECT_FALSE(a.kernel) << "the image's kernel is still mounted from the image";
  const std::set<std::string> entries = names_in(m_base / "state/boot");
  ASSERT_EQ(entries.size(), 3U) << "lock, the image's entry and the minimal one";
  const std::string minimal_name = *std::next(entries.begin()); // "lock" < "min..." < "v2-..."
  const fs::path minimal_entry = m_base / "state/boot" / minimal_name;
  ASSERT_TRUE(minimal_name.starts_with("min") && minimal_name.ends_with("-" + k_image_id)) << minimal_name;
  const std::string initrd = contents(minimal_entry / "initramfs.img");
  EXPECT_EQ(initrd.find("INITRD"), std::string::npos);
  EXPECT_NE(initrd.find("THE-INIT"), std::string::npos);
  EXPECT_LT(initrd.find("FUSE-MODULE"), initrd.find("VIRTIOFS-MODULE")) << "dependencies first";
  EXPECT_NE(initrd.find("fuse.ko\nvirtiofs.ko\n"), std::string::npos) << "the load order";
  EXPECT_EQ(names_in(minimal_entry / "users"), (std::set<std::string>{"vm-b", "vm-c"}));

  // Another init is another entry: files made for one init are never booted with another.
  use("vm-d", pair(), {InitramfsChoice::minimal, {}, "ANOTHER-INIT"});
  EXPECT_EQ(names_in(m_base / "state/boot").size(), 4U);

  for (const char* user : {"vm-a", "vm-b", "vm-c", "vm-d"}) {
    leave_shared_boot_files(k_image_id, VmName::parse(user), k_everyone_exists, k_image_gone);
  }
  EXPECT_EQ(names_in(m_base / "state/boot"), (std::set<std::string>{"lock"}));
}

// An unused minimal entry this bcvk makes (with its own init) waits for its image like the image's
// initramfs does; one made with an init this bcvk does not have goes when nobody uses it.
TEST_F(SharedBootFilesTest, AnUnusedMinimalEntryStaysWithItsImageOnlyWhenThisBcvkMakesIt) {
  const auto arches = guest_init_architectures();
  ASSERT_FALSE(arches.empty());
  use("vm-a", pair(), {InitramfsChoice::minimal, {}, *guest_init_binary(arches.front())});
  use("vm-b", pair(), {InitramfsChoice::minimal, {}, "AN-OLDER-INIT"});
  EXPECT_EQ(names_in(m_base / "state/boot").size(), 3U);
  leave_shared_boot_files(k_image_id, VmName::parse("vm-a"), k_everyone_exists, k_image_present);
  leave_shared_boot_files(k_image_id, VmName::parse("vm-b"), k_everyone_exists, k_image_present);
  const std::set<std::string> left = names_in(m_base / "state/boot");
  ASSERT_EQ(left.size(), 2U) << "lock and this bcvk's entry";
  EXPECT_EQ(*std::next(left.begin()), "min1" + init_fingerprint(*guest_init_binary(arches.front())) + "-" + k_image_id);
}

// Whether an image can boot through the minimal initramfs is read from its module files: anything
// its init could not load makes bcvk boot the image's own initramfs instead.
TEST_F(SharedBootFilesTest, TheMinimalInitramfsIsRefusedWhereItsInitCouldNotLoadTheModules) {
  const auto obstacle = [this] { return minimal_initramfs_obstacle(image(), "6.1", {}); };
  const std::string dir = "image/usr/lib/modules/6.1/";
  EXPECT_NE(obstacle().find("has no /usr/lib/modules/6.1/modules.dep"), std::string::npos) << obstacle();
  write(dir + "modules.dep", "kernel/fs/fuse/fuse.ko:\n");
  EXPECT_EQ(obstacle(), "its kernel has no virtio_pci module");
  write(dir + "modules.builtin", "kernel/drivers/virtio/virtio_pci.ko\nkernel/fs/fuse/virtiofs.ko\n");
  EXPECT_EQ(obstacle(), "") << "built into the kernel";
  write(dir + "modules.builtin", "kernel/drivers/virtio/virtio_pci.ko\n");
  write(dir + "modules.dep", "kernel/fs/fuse/virtiofs.ko: kernel/fs/fuse/fuse.ko\nkernel/fs/fuse/fuse.ko:\n");
  EXPECT_EQ(obstacle(), "its modules.dep lists kernel/fs/fuse/fuse.ko, which is not in the image");
  write(dir + "kernel/fs/fuse/fuse.ko", "F");
  write(dir + "kernel/fs/fuse/virtiofs.ko", "V");
  EXPECT_EQ(obstacle(), "");
  write(dir + "modules.dep", "kernel/fs/fuse/virtiofs.ko.zst: kernel/fs/fuse/fuse.ko\nkernel/fs/fuse/fuse.ko:\n");
  write(dir + "kernel/fs/fuse/virtiofs.ko.zst", "V");
  EXPECT_NE(obstacle().find("compressed (kernel/fs/fuse/virtiofs.ko.zst)"), std::string::npos) << obstacle();
  write(dir + "config", "CONFIG_MODULE_DECOMPRESS=y\nCONFIG_MODULE_COMPRESS_XZ=y\n");
  EXPECT_NE(obstacle().find("compressed"), std::string::npos) << "the kernel decompresses xz, not zstd";
  write(dir + "config", "# CONFIG_X is not set\nCONFIG_MODULE_DECOMPRESS=y\nCONFIG_MODULE_COMPRESS_ZSTD=y\n");
  EXPECT_EQ(obstacle(), "");
  write(dir + "modules.dep", "kernel/a/virtiofs.ko: kernel/fs/fuse/fuse.ko\nkernel/fs/fuse/fuse.ko:\n"
                             "kernel/b/virtio_pci.ko: kernel/a/fuse.ko\nkernel/a/fuse.ko:\n");
  for (const char* f : {"kernel/a/virtiofs.ko", "kernel/b/virtio_pci.ko", "kernel/a/fuse.ko"}) {
    write(dir + f, "M");
  }
  EXPECT_NE(obstacle().find("lists the module file fuse.ko twice"), std::string::npos) << obstacle();
}

TEST_F(SharedBootFilesTest, AUkiBootsItsKernelThroughTheMinimalInitramfs) {
  write("image/boot/EFI/Linux/x.efi", ::test_support::make_pe({{".linux", "UKIKERNEL"}, {".initrd", "UKIINITRD"}}));
  const SharedBootFiles a =
      use("vm-a", {"6.1", "", "", "/boot/EFI/Linux/x.efi"}, {InitramfsChoice::minimal, {}, "THE-INIT"});
  ASSERT_TRUE(a.kernel);
  std::string kernel(16, '\0');
  kernel.resize(static_cast<std::size_t>(::pread(a.kernel->get(), kernel.data(), kernel.size(), 0)));
  EXPECT_EQ(kernel, "UKIKERNEL");
  std::string initrd(1 << 16, '\0');
  initrd.resize(static_cast<std::size_t>(::pread(a.initrd.get(), initrd.data(), initrd.size(), 0)));
  EXPECT_EQ(initrd.find("UKIINITRD"), std::string::npos);
  EXPECT_NE(initrd.find("THE-INIT"), std::string::npos);
}

TEST_F(SharedBootFilesTest, AnInitramfsLinkedOutOfTheImageIsRefusedAndLeavesNothing) {
  fs::remove(m_base / "image/usr/lib/modules/6.1/initramfs.img");
  fs::create_symlink(m_base / "host-secret", m_base / "image/usr/lib/modules/6.1/initramfs.img");
  try {
    use("vm-a");
    FAIL() << "a link out of the image was followed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/usr/lib/modules/6.1/initramfs.img"), std::string::npos) << e.what();
  }
  EXPECT_EQ(names_in(m_base / "state/boot"), (std::set<std::string>{"lock"}));
  EXPECT_EQ(contents(m_base / "host-secret"), "SECRET");
}

TEST_F(SharedBootFilesTest, AnImageIdThatIsNotPodmansIsRefused) {
  EXPECT_THROW(use_shared_boot_files(image(), pair(), "../../etc", VmName::parse("vm-a"), InitramfsRecipe{}), Error);
  EXPECT_FALSE(fs::exists(m_base / "state/boot"));
}

TEST_F(SharedBootFilesTest, BootFileMountIsReadOnlyForEveryoneAndReleasedCleanly) {
  const SharedBootFiles shared = use("vm-a");
  const fs::path target = m_base / "instance-initramfs.img";
  write("instance-initramfs.img", "");
  bind_file_read_only(shared.initrd, shared.initrd_path, target.string());
  EXPECT_EQ(contents(target).substr(0, 6), "INITRD");
  // What libvirt's DAC driver does to a kernel before QEMU starts, and what a write would do.
  EXPECT_NE(::chown(target.c_str(), 65534, 65534), 0);
  EXPECT_EQ(errno, EROFS);
  EXPECT_NE(::chmod(target.c_str(), 0666), 0);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::open(target.c_str(), O_WRONLY | O_CLOEXEC), -1);
  EXPECT_EQ(errno, EROFS);
  struct stat st {};
  ASSERT_EQ(::stat((entry() / "initramfs.img").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0U);
  EXPECT_EQ(st.st_mode & 07777, 0644U);

  // Another process holding the file open (any local user could, before boot/ was QEMU's alone)
  // neither delays the release nor keeps anything: the read-only mount is detached whole.
  const bcvk::test_support::ChildHolding holder(target.string());
  ASSERT_GT(holder.pid(), 0);
  release_mounts_below(m_base.string());
  EXPECT_EQ(fs::file_size(target), 0U) << "the placeholder is all the instance holds";
  EXPECT_TRUE(mounts_below(m_base.string()).empty());
}

// Whether a process of `uid` whose only groups are `groups` can open `path` for reading (tried in
// a child that drops to them, as QEMU's or another local user's process would be).
bool can_open_as(uid_t uid, const std::vector<gid_t>& groups, const fs::path& path) {
  const pid_t child = ::fork();
  if (child == 0) {
    const bool dropped = ::setgroups(groups.size(), groups.data()) == 0 &&
                         ::setresgid(groups[0], groups[0], groups[0]) == 0 && ::setresuid(uid, uid, uid) == 0;
    const int fd = dropped ? ::open(path.c_str(), O_RDONLY | O_CLOEXEC) : -1;
    ::_exit(fd >= 0 ? 0 : (dropped ? 1 : 2));
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 2) << "cannot drop privileges";
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// The instance directory and boot/ let QEMU's user alone through: another local user, even one in
// QEMU's group (`kvm` holds people on many hosts), can neither read the kernel and initramfs of a
// private image nor hold one open to delay a release.
TEST_F(SharedBootFilesTest, OnlyQemusUserReachesAnInstancesBootFiles) {
  const uid_t qemu_user = 64123; // any user: what libvirt's DAC label names
  const gid_t qemu_group = 64124;
  const InstanceLayout layout((m_base / "state/instances/vm-a").string());
  fs::create_directories(layout.boot_dir());
  fs::permissions(m_base / "state/instances", fs::perms(0711));
  write("state/instances/vm-a/boot/initramfs.img", "INITRD");
  fs::permissions(layout.initrd_file(), fs::perms(0644));
  ASSERT_TRUE(can_open_as(65534, {65534}, layout.initrd_file())) << "the old layout let everyone in";

  // What an older bcvk left: the directories open to QEMU's group.
  for (const auto& dir : {layout.path(), layout.boot_dir()}) {
    ASSERT_EQ(::chown(dir.c_str(), 0, qemu_group), 0);
    ASSERT_EQ(::chmod(dir.c_str(), 0710), 0);
  }
  ASSERT_TRUE(can_open_as(65534, {qemu_group}, layout.initrd_file())) << "the group let its members in";

  open_to_hypervisor(layout, qemu_user);
  for (const auto& dir : {layout.path(), layout.boot_dir()}) {
    struct stat st {};
    ASSERT_EQ(::stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0U) << dir;
    EXPECT_EQ(st.st_gid, 0U) << dir;
    EXPECT_EQ(st.st_mode & 07777, 0710U) << dir << ": the group bits show the ACL's mask";
  }
  EXPECT_FALSE(can_open_as(65534, {65534}, layout.initrd_file())) << "another local user";
  EXPECT_FALSE(can_open_as(65534, {qemu_group}, layout.initrd_file())) << "a person in QEMU's group";
  EXPECT_FALSE(can_open_as(65534, {0}, layout.initrd_file())) << "a person in group root";
  EXPECT_TRUE(can_open_as(qemu_user, {qemu_group}, layout.initrd_file())) << "QEMU's user";
  const auto listed = [&](uid_t uid) {
    const pid_t child = ::fork();
    if (child == 0) {
      const bool dropped = ::setresgid(65534, 65534, 65534) == 0 && ::setresuid(uid, uid, uid) == 0;
      ::_exit(dropped && ::opendir(layout.boot_dir().c_str()) != nullptr ? 0 : 1);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  };
  EXPECT_FALSE(listed(qemu_user)) << "QEMU passes through, it does not list";
}

} // namespace
