// The trust boundary for files: whatever links an image or a guest planted, reads and writes stay
// inside the tree, and host-side deletion never follows a link.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "bcvk/util/error.hpp"
#include "bcvk/util/handle.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/util/rooted_fs.hpp"

using namespace bcvk;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

class Tree : public ::testing::Test {
protected:
  void SetUp() override {
    const std::string base =
        fs::temp_directory_path() / ("bcvk-rooted-" + std::to_string(::getpid()) + "-" +
                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    m_root = base + "-root";
    m_host = base + "-host";
    fs::create_directories(m_root / "etc");
    fs::create_directories(m_host);
    std::ofstream(m_host / "precious") << "host data";
  }
  void TearDown() override {
    fs::remove_all(m_root);
    fs::remove_all(m_host);
  }
  RootedTree tree() const { return RootedTree::open(m_root, "the guest root"); }
  fs::path m_root;
  fs::path m_host;
};

// The link's target exists both on the host and in the tree: the tree's own is used.
TEST_F(Tree, AbsoluteDirectoryLinkIsResolvedInsideTheRoot) {
  fs::create_directories(m_root / m_host.relative_path());
  fs::create_directory_symlink(m_host, m_root / "etc/systemd");
  tree().write_file("/etc/systemd/system/x.service", "unit", 0644);
  EXPECT_FALSE(fs::exists(m_host / "system")) << "wrote to the host";
  EXPECT_EQ(slurp(m_root / m_host.relative_path() / "system/x.service"), "unit");
}

TEST_F(Tree, DotDotCannotClimbOut) {
  fs::create_directories(m_root / m_host.relative_path());
  fs::create_directory_symlink("../../../../../../../../" + m_host.relative_path().string(), m_root / "etc/bcvk");
  tree().write_file("etc/bcvk/execute.sh", "script", 0700);
  EXPECT_FALSE(fs::exists(m_host / "execute.sh"));
  EXPECT_EQ(slurp(m_root / m_host.relative_path() / "execute.sh"), "script");
}

TEST_F(Tree, AnExistingLinkIsReplacedNeverFollowed) {
  fs::create_directories(m_root / "etc/ssh");
  fs::create_symlink(m_host / "precious", m_root / "etc/ssh/ssh_host_ed25519_key");
  tree().write_file("etc/ssh/ssh_host_ed25519_key", "key", 0600);
  EXPECT_EQ(slurp(m_host / "precious"), "host data");
  EXPECT_FALSE(fs::is_symlink(m_root / "etc/ssh/ssh_host_ed25519_key"));
  EXPECT_EQ(slurp(m_root / "etc/ssh/ssh_host_ed25519_key"), "key");
  EXPECT_EQ(fs::status(m_root / "etc/ssh/ssh_host_ed25519_key").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(Tree, SymlinksAreWrittenAsLinksAndReplaceOldOnes) {
  tree().write_symlink("etc/systemd/system/multi-user.target.wants/a.service", "/etc/systemd/system/a.service");
  tree().write_symlink("etc/systemd/system/multi-user.target.wants/a.service", "/etc/systemd/system/b.service");
  EXPECT_EQ(fs::read_symlink(m_root / "etc/systemd/system/multi-user.target.wants/a.service"),
            "/etc/systemd/system/b.service");
}

// The target exists only on the host: inside the tree the link leads nowhere, so nothing is written.
TEST_F(Tree, ALinkToAHostOnlyDirectoryIsAnError) {
  fs::create_directory_symlink(m_host, m_root / "etc/systemd");
  EXPECT_THROW(tree().write_file("etc/systemd/system/x.service", "unit", 0644), Error);
  EXPECT_FALSE(fs::exists(m_host / "system"));
  EXPECT_EQ(fs::directory_iterator(m_host)->path().filename(), "precious");
}

TEST_F(Tree, ADirectoryInPlaceOfTheFileIsAnError) {
  fs::create_directories(m_root / "etc/x.service");
  EXPECT_THROW(tree().write_file("etc/x.service", "unit", 0644), Error);
}

TEST_F(Tree, ReadsFollowLinksOnlyInsideTheTree) {
  fs::create_symlink(m_host / "precious", m_root / "etc/os-release");
  EXPECT_FALSE(tree().read_file("etc/os-release", LinkPolicy::confined, 1024).has_value())
      << "confined: the link resolves to the tree's own (missing) file";
  EXPECT_THROW(tree().read_file("etc/os-release", LinkPolicy::beneath, 1024), Error);
  std::ofstream(m_root / "etc/real") << "inside";
  fs::create_symlink("real", m_root / "etc/alias");
  EXPECT_EQ(tree().read_file("/etc/alias", LinkPolicy::beneath, 1024), "inside");
  EXPECT_THROW(tree().read_file("etc/real", LinkPolicy::confined, 3), Error) << "size bound";
}

// A device node or FIFO in an image is refused without ever being opened for reading: opening a
// device acts on the host. inotify reports every open except O_PATH ones.
TEST_F(Tree, SpecialFilesAreRefusedUnopened) {
  ASSERT_EQ(::mknod((m_root / "etc/device").c_str(), S_IFCHR | 0600, ::makedev(1, 3)), 0) << "needs root";
  ASSERT_EQ(::mkfifo((m_root / "etc/fifo").c_str(), 0600), 0);
  const Fd watch(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  ASSERT_TRUE(watch);
  ASSERT_GE(::inotify_add_watch(watch.get(), (m_root / "etc").c_str(), IN_OPEN), 0);
  for (const char* name : {"etc/device", "etc/fifo"}) {
    try {
      tree().read_file(name, LinkPolicy::confined, 1024);
      ADD_FAILURE() << name << " was read";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("is not a regular file"), std::string::npos) << e.what();
    }
  }
  char events[4096];
  EXPECT_LT(::read(watch.get(), events, sizeof events), 0) << "a special file was opened";
  std::ofstream(m_root / "etc/plain") << "x";
  EXPECT_EQ(tree().read_file("etc/plain", LinkPolicy::confined, 1024), "x");
  EXPECT_GT(::read(watch.get(), events, sizeof events), 0) << "the watch sees ordinary opens";
}

TEST_F(Tree, MagicLinksAreRefused) {
  fs::create_symlink("/proc/self/root/" + (m_host / "precious").relative_path().string(), m_root / "etc/magic");
  EXPECT_FALSE(tree().read_file("etc/magic", LinkPolicy::confined, 1024).has_value());
}

TEST_F(Tree, ListingShowsEntriesWithoutFollowingThem) {
  fs::create_directory_symlink(m_host, m_root / "etc/hostdir");
  const auto entries = tree().list("etc", LinkPolicy::confined);
  ASSERT_EQ(entries.size(), 1U);
  EXPECT_EQ(entries[0].name, "hostdir");
  EXPECT_EQ(entries[0].kind, TreeEntry::Kind::symlink);
  EXPECT_TRUE(tree().list("etc/hostdir", LinkPolicy::confined).empty()) << "listed the host directory";
  EXPECT_TRUE(tree().list("no/such/dir", LinkPolicy::confined).empty());
}

TEST_F(Tree, CopyOutCreatesANewFileAndNeverWritesThroughALink) {
  std::ofstream(m_root / "etc/kernel") << "KERNEL";
  const fs::path dest = m_host / "copy";
  tree().copy_out("etc/kernel", LinkPolicy::beneath, dest.string(), 0644, 1 << 20);
  EXPECT_EQ(slurp(dest), "KERNEL");
  fs::create_symlink(m_host / "precious", m_host / "planted");
  EXPECT_THROW(tree().copy_out("etc/kernel", LinkPolicy::beneath, (m_host / "planted").string(), 0644, 1 << 20), Error);
  EXPECT_EQ(slurp(m_host / "precious"), "host data");
}

// The kernel an instance boots is opened once, strictly inside the image, and mounted from that
// descriptor: whatever its path names later does not matter.
TEST_F(Tree, OpenRegularRefusesLinksOutFifosAndOversizedFiles) {
  std::ofstream(m_root / "etc/kernel") << "KERNEL";
  EXPECT_NO_THROW(tree().open_regular("etc/kernel", LinkPolicy::beneath, 6));
  EXPECT_THROW(tree().open_regular("etc/kernel", LinkPolicy::beneath, 5), Error);
  fs::create_symlink(m_host / "precious", m_root / "etc/out");
  EXPECT_THROW(tree().open_regular("etc/out", LinkPolicy::beneath, 1 << 20), Error);
  ASSERT_EQ(::mkfifo((m_root / "etc/fifo").c_str(), 0644), 0);
  EXPECT_THROW(tree().open_regular("etc/fifo", LinkPolicy::beneath, 1 << 20), Error); // and does not block
  EXPECT_THROW(tree().open_regular("etc/missing", LinkPolicy::beneath, 1 << 20), Error);
}

// Mount points for boot files and markers: always an empty regular file, never through a link.
TEST_F(Tree, CreateEmptyFileEmptiesWhatIsThereAndNeverFollowsALink) {
  const fs::path placeholder = m_host / "placeholder";
  std::ofstream(placeholder) << "an older kernel copy";
  create_empty_file(placeholder.string(), 0644);
  EXPECT_EQ(fs::file_size(placeholder), 0U);
  fs::create_symlink(m_host / "precious", m_host / "planted");
  EXPECT_THROW(create_empty_file((m_host / "planted").string(), 0644), Error);
  EXPECT_EQ(slurp(m_host / "precious"), "host data");
}

TEST_F(Tree, RemoveTreeDeletesLinksNotTheirTargets) {
  fs::create_directories(m_root / "upper/etc");
  fs::create_symlink(m_host / "precious", m_root / "upper/etc/link-to-file");
  fs::create_directory_symlink(m_host, m_root / "upper/etc/link-to-dir");
  std::ofstream(m_root / "upper/etc/file") << "x";
  remove_tree_nofollow((m_root / "upper").string());
  EXPECT_FALSE(fs::exists(m_root / "upper"));
  EXPECT_EQ(slurp(m_host / "precious"), "host data");
  EXPECT_NO_THROW(remove_tree_nofollow((m_root / "upper").string())) << "missing is fine";
}

// A guest can nest directories far deeper than bcvk could recurse or keep descriptors open for.
TEST_F(Tree, RemoveTreeHandlesDeeplyNestedDirectories) {
  fs::path deep = m_root / "upper";
  fs::create_directories(deep);
  std::string rel = "upper";
  for (int i = 0; i < 2000; ++i) { // deeper than the default limit of 1024 open files
    ASSERT_EQ(::mkdirat(AT_FDCWD, (m_root / rel / "d").c_str(), 0755), 0);
    rel += "/d";
    if (rel.size() > 3000) {
      // Keep absolute paths short: move the chain's end up and continue from there.
      fs::rename(m_root / rel, m_root / ("upper/hop" + std::to_string(i)));
      rel = "upper/hop" + std::to_string(i);
    }
  }
  std::ofstream(m_root / rel / "leaf") << "x";
  remove_tree_nofollow((m_root / "upper").string());
  EXPECT_FALSE(fs::exists(m_root / "upper"));
}

TEST(PathSwapRisk, OnlyRootControlledDirectoriesAreSafe) {
  const fs::path base = fs::temp_directory_path() / ("bcvk-swap-" + std::to_string(::getpid()));
  fs::create_directories(base / "safe");
  fs::create_directories(base / "open/x");
  fs::permissions(base / "open", fs::perms::all);
  fs::create_directories(base / "user/x");
  ASSERT_EQ(::chown((base / "user").c_str(), 65534, 65534), 0);
  EXPECT_EQ(path_swap_risk((base / "safe/file").string()), "");
  EXPECT_EQ(path_swap_risk("/tmp/file"), "") << "a root-owned sticky directory is fine";
  EXPECT_EQ(path_swap_risk((base / "open/x/file").string()),
            (base / "open").string() + " can be changed by other users");
  EXPECT_EQ(path_swap_risk((base / "user/x").string()),
            (base / "user").string() + " belongs to another user (uid 65534)");
  fs::remove_all(base);
}

TEST(TreeRelative, Normalises) {
  EXPECT_EQ(tree_relative("/etc//systemd/./system/"), "etc/systemd/system");
  EXPECT_EQ(tree_relative("/"), "");
  EXPECT_EQ(tree_relative("a/../b"), "a/../b") << ".. is left to the kernel, which keeps it inside";
}

} // namespace

TEST(PathSwapRisk, AFuseMountsOwnerIsReadFromItsMountinfoLine) {
  const std::string mountinfo =
      "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
      "40 22 0:40 / /home/al/remote rw,nosuid,nodev - fuse.sshfs al@host:/ rw,user_id=1000,group_id=1000\n"
      "41 22 0:41 / /mnt/root-fuse rw - fuse.bindfs /srv rw,user_id=0,group_id=0,allow_other\n"
      "42 22 0:42 / /mnt/odd rw - fuse odd rw,allow_other\n"
      "43 22 0:43 / /mnt/lying rw - ext4 /dev/vdb rw,user_id=0\n";
  EXPECT_EQ(fuse_mount_owner(mountinfo, 40), 1000U);
  EXPECT_EQ(fuse_mount_owner(mountinfo, 41), 0U);
  EXPECT_EQ(fuse_mount_owner(mountinfo, 42), std::numeric_limits<unsigned>::max()) << "no owner: not root's";
  EXPECT_EQ(fuse_mount_owner(mountinfo, 43), std::nullopt) << "not FUSE";
  EXPECT_EQ(fuse_mount_owner(mountinfo, 22), std::nullopt);
  EXPECT_EQ(fuse_mount_owner(mountinfo, 99), std::nullopt);
  EXPECT_EQ(path_swap_risk("/usr/bin/true"), "") << "this host's own paths stay fine";
}
