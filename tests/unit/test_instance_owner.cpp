// Releasing an instance: each image mount is given back exactly once, whatever path got us here.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>

#include <filesystem>
#include <fstream>

#include "bcvk/util/error.hpp"
#include "bcvk/instance/owner.hpp"
#include "bcvk/instance/recovery.hpp"
#include "bcvk/host/hypervisor.hpp"

using namespace bcvk;

namespace {

class CountingStore : public ImageStore {
public:
  bool exists(const std::string&) override { return true; }
  std::string pull(const std::string&, const RegistryAccess&, SignalCatcher*) override { return {}; }
  ImageInfo inspect(const std::string&) override { return {}; }
  std::string mount(const std::string&) override {
    ++mounts;
    return "/nonexistent";
  }
  void unmount(const std::string& id) override {
    ++unmounts;
    last_unmounted = id;
  }
  std::vector<ImageInfo> list_bootc_images() override { return {}; }
  std::string storage_root() override { return "/var/lib/containers/storage"; }
  std::set<std::string> image_layer_ids() override { return {}; }
  int mounts = 0;
  int unmounts = 0;
  std::string last_unmounted;
};

class Owner : public ::testing::Test {
protected:
  void SetUp() override {
    m_state = std::filesystem::temp_directory_path() / ("bcvk-owner-" + std::to_string(::getpid()));
    ::setenv("BCVK_STATE_DIR", m_state.c_str(), 1);
  }
  void TearDown() override {
    std::filesystem::remove_all(m_state);
    ::unsetenv("BCVK_STATE_DIR");
  }
  InstanceState mounted_state(const std::string& name, Phase phase, bool rm) {
    InstanceState s;
    s.name = name;
    s.image_id = "img-" + name;
    s.phase = phase;
    s.auto_remove = rm;
    s.image_mounted = true;
    s.uri = "test:///default"; // the VM's libvirt, asked before anything is released: no daemon needed
    return s;
  }
  std::filesystem::path m_state;
  CountingStore m_store;
};

} // namespace

TEST_F(Owner, ReleaseGivesTheImageBackOnceAndRecordsIt) {
  InstanceDir dir = InstanceDir::create(VmName::parse("keep-me"));
  InstanceState state = mounted_state("keep-me", Phase::running, false);
  dir.save(state);
  release_instance(dir, state, m_store, Disposition::keep);
  release_instance(dir, state, m_store, Disposition::keep);
  EXPECT_EQ(m_store.unmounts, 1);
  EXPECT_EQ(m_store.last_unmounted, "img-keep-me");
  const InstanceState saved = dir.load();
  EXPECT_FALSE(saved.image_mounted);
  EXPECT_EQ(saved.phase, Phase::stopped);
}

// Crash recovery runs before every command: a kept instance that holds nothing is marked so, and
// recovery passes over it without locking or reading it (a thousand kept VMs cost a thousand
// stat calls, not a thousand lock-load-lookup rounds); whoever takes resources again clears it.
TEST_F(Owner, AKeptReleasedInstanceIsMarkedAndRecoveryPassesOverIt) {
  const VmName name = VmName::parse("kept");
  {
    InstanceDir dir = InstanceDir::create(name);
    InstanceState state = mounted_state("kept", Phase::running, false);
    dir.save(state);
    EXPECT_FALSE(InstanceDir::is_marked_released(name));
    release_instance(dir, state, m_store, Disposition::keep);
    EXPECT_TRUE(InstanceDir::is_marked_released(name));

    // The next owner takes the image again, then dies without a release (a kill -9).
    dir.clear_released();
    state.image_mounted = true;
    state.phase = Phase::running;
    dir.save(state);
    dir.mark_released(); // as if the marker were stale: recovery must believe it, and look no further
  }                      // the owner's lock goes with it
  const Connection conn = Connection::open("test:///default");
  collect_garbage(conn, m_store);
  EXPECT_EQ(m_store.unmounts, 1) << "a marked instance was examined";
  InstanceDir::open(name)->clear_released();
  collect_garbage(conn, m_store);
  EXPECT_EQ(m_store.unmounts, 2) << "an unmarked instance holding an image reference was not released";
  EXPECT_TRUE(InstanceDir::is_marked_released(name)) << "released and kept: marked again";
}

TEST_F(Owner, RemoveDeletesTheDirectory) {
  InstanceDir dir = InstanceDir::create(VmName::parse("gone"));
  const std::string path = dir.path();
  InstanceState state = mounted_state("gone", Phase::running, true);
  dir.save(state);
  release_instance(dir, state, m_store, Disposition::remove);
  EXPECT_EQ(m_store.unmounts, 1);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(InstanceDir::open(VmName::parse("gone")).has_value());
}

TEST_F(Owner, ErrorPathRemovesAnInstanceThatNeverRan) {
  std::string path;
  {
    InstanceOwner owner(InstanceDir::create(VmName::parse("half")), mounted_state("half", Phase::creating, false),
                        m_store);
    path = owner.dir().path();
    owner.save();
  }
  EXPECT_EQ(m_store.unmounts, 1);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(Owner, HandedOverInstancesAreLeftAlone) {
  {
    InstanceOwner owner(InstanceDir::create(VmName::parse("detached")), mounted_state("detached", Phase::running, true),
                        m_store);
    owner.save();
    owner.hand_over();
  }
  EXPECT_EQ(m_store.unmounts, 0);
  EXPECT_TRUE(InstanceDir::open(VmName::parse("detached")).has_value());
}

TEST_F(Owner, NamesAreClaimedAtomically) {
  InstanceDir first = InstanceDir::create(VmName::parse("taken"));
  EXPECT_THROW(InstanceDir::create(VmName::parse("taken")), UsageError);
}

TEST_F(Owner, LockTellsLiveOwnersAndRemovedInstancesApart) {
  InstanceDir owner = InstanceDir::create(VmName::parse("locked"));
  auto other = InstanceDir::open(VmName::parse("locked"));
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->try_lock(), InstanceDir::LockResult::busy);
  InstanceState state;
  state.name = "locked";
  owner.save(state);
  release_instance(owner, state, m_store, Disposition::remove);
  EXPECT_EQ(other->try_lock(), InstanceDir::LockResult::gone);
  EXPECT_FALSE(std::filesystem::exists(m_state / "instances/locked")) << "a waiter must not re-create it";
}

// Instances kept by an older bcvk had their overlay directly in the (traversable) instance
// directory: it moves into the private overlay/ directory, and the saved domain follows it.
TEST_F(Owner, OldLayoutMovesIntoThePrivateOverlayDirectory) {
  namespace fs = std::filesystem;
  InstanceDir dir = InstanceDir::create(VmName::parse("old"));
  for (const char* part : {"upper/etc", "work", "root"}) {
    fs::create_directories(fs::path(dir.path()) / part);
  }
  std::ofstream(fs::path(dir.path()) / "upper/etc/changed") << "guest data";
  write_file_atomic(dir.domain_xml_file(),
                    "<source dir='" + dir.path() + "/root'/><x dir='" + dir.path() + "/rootless'/>");
  dir.migrate_layout();
  EXPECT_FALSE(fs::exists(fs::path(dir.path()) / "upper"));
  EXPECT_TRUE(fs::exists(fs::path(dir.upper_dir(false)) / "etc/changed"));
  EXPECT_TRUE(fs::is_directory(dir.root_dir()));
  EXPECT_EQ(fs::status(dir.overlay_dir()).permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(read_text_file(dir.domain_xml_file()),
            "<source dir='" + dir.root_dir() + "'/><x dir='" + dir.path() + "/rootless'/>");
  EXPECT_NO_THROW(dir.migrate_layout()) << "nothing left to move";
}

namespace {

// Gives the image back only when allowed to: a release that fails half-way, as a kill would.
class FailingStore : public CountingStore {
public:
  void unmount(const std::string& id) override {
    if (failing) {
      throw Error("podman image umount failed");
    }
    CountingStore::unmount(id);
  }
  bool failing = true;
};

} // namespace

// A removal cut short (a kill, a failure) is finished by whoever comes next, never turned into a
// kept instance: the intent is on disk before anything is released.
TEST_F(Owner, ARemovalCutShortIsFinishedByTheNextRecovery) {
  const VmName name = VmName::parse("cut-short");
  FailingStore store;
  {
    InstanceDir dir = InstanceDir::create(name);
    InstanceState state = mounted_state("cut-short", Phase::stopped, false); // a kept VM that `rm` removes
    dir.save(state);
    EXPECT_THROW(release_instance(dir, state, store, Disposition::remove), Error);
    EXPECT_EQ(dir.load().phase, Phase::removing);
    EXPECT_TRUE(dir.load().image_mounted) << "the image reference is still held, and recorded";
  }
  store.failing = false;
  collect_garbage(Connection::open("test:///default"), store);
  EXPECT_EQ(store.unmounts, 1);
  EXPECT_FALSE(InstanceDir::open(name).has_value()) << "kept instead of removed";
}

// Whoever waits for an instance's lock sees it as long as its name exists, and then nothing of it:
// the directory leaves its path in one step, after its contents, and nothing is left beside it.
TEST_F(Owner, ARemovedInstanceLeavesNothingAndItsNameIsFreeAtOnce) {
  namespace fs = std::filesystem;
  const VmName name = VmName::parse("leaving");
  InstanceDir owner = InstanceDir::create(name);
  InstanceState state;
  state.name = "leaving";
  owner.save(state);
  auto waiter = InstanceDir::open(name);
  ASSERT_TRUE(waiter.has_value());
  EXPECT_EQ(waiter->try_lock(), InstanceDir::LockResult::busy);
  owner.remove_tree();
  EXPECT_FALSE(fs::exists(m_state / "instances/leaving"));
  EXPECT_EQ(waiter->try_lock(), InstanceDir::LockResult::gone);
  EXPECT_TRUE(fs::is_empty(m_state / "instances")) << "nothing is left beside it either";
  EXPECT_NO_THROW(InstanceDir::create(name));
}

// `rm` of a kept instance (marked released, holding nothing) cut short after it began: recovery
// must not pass over it as kept, and the instance's own boot-file record goes even when its state
// no longer names its image.
TEST_F(Owner, AKeptInstanceWhoseRemovalWasCutShortIsRemovedWithItsBootFileRecord) {
  namespace fs = std::filesystem;
  const VmName name = VmName::parse("kept-rm");
  const fs::path entry = m_state / "boot" / ("v2-" + std::string(64, 'a'));
  {
    InstanceDir dir = InstanceDir::create(name);
    InstanceState state;
    state.name = "kept-rm";
    state.phase = Phase::stopped;
    state.uri = "test:///default";
    dir.save(state);
    dir.mark_released();
    fs::create_directories(entry / "users");
    std::ofstream(entry / "users/kept-rm");
    std::ofstream(entry / "initramfs.img") << "x";
    // The shared files' lock cannot be taken: leaving them fails, as a kill there would stop it.
    fs::create_directories(m_state / "boot/lock");
    EXPECT_THROW(release_instance(dir, state, m_store, Disposition::remove), Error);
    EXPECT_EQ(dir.load().phase, Phase::removing);
    EXPECT_FALSE(InstanceDir::is_marked_released(name)) << "recovery would pass over it as kept";
    // What an older state without the image's ID looks like.
    state.image_id.clear();
    dir.save(state);
  }
  fs::remove(m_state / "boot/lock");
  collect_garbage(Connection::open("test:///default"), m_store);
  EXPECT_FALSE(InstanceDir::open(name).has_value()) << "kept instead of removed";
  EXPECT_FALSE(fs::exists(entry / "users/kept-rm")) << "its own record counted it as a user";
}

// What killed processes leave while making or deleting an instance is swept; what a live one
// works on (its lock held) is not.
TEST_F(Owner, LeftoversOfKilledMakersAndRemoversAreSweptButLiveOnesAreNot) {
  namespace fs = std::filesystem;
  InstanceDir::create(VmName::parse("anchor")); // makes instances/
  const fs::path instances = m_state / "instances";
  fs::create_directories(m_state / "victim");
  std::ofstream(m_state / "victim/precious") << "kept";
  // Named after makers that are gone (no process has so high an ID).
  for (const char* left : {".removing-a-999999999-1", ".creating-b-999999998-1"}) {
    fs::create_directories(instances / left / "overlay/upper");
    std::ofstream(instances / left / "lock");
    fs::create_symlink(m_state / "victim", instances / left / "overlay/upper/link"); // never followed
  }
  fs::create_directories(instances / ".removing-c-999999997-1");
  const Fd live(::open((instances / ".removing-c-999999997-1/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  ASSERT_EQ(::flock(live.get(), LOCK_EX | LOCK_NB), 0);
  // A live maker that has not made (or locked) its lock yet: its work in progress.
  const std::string mine = ".creating-d-" + std::to_string(::getpid()) + "-1";
  fs::create_directories(instances / mine);
  InstanceDir::sweep_transient_entries();
  EXPECT_FALSE(fs::exists(instances / ".removing-a-999999999-1"));
  EXPECT_FALSE(fs::exists(instances / ".creating-b-999999998-1"));
  EXPECT_TRUE(fs::exists(instances / ".removing-c-999999997-1")) << "its remover still works on it";
  EXPECT_TRUE(fs::exists(instances / mine)) << "swept from under a live maker before it locked";
  EXPECT_TRUE(fs::exists(m_state / "victim/precious")) << "a link in a leftover was followed";
  EXPECT_TRUE(fs::exists(instances / "anchor"));
}

// A state file that exists but cannot be read says nothing of what the instance holds (a kept VM's
// overlay, an image reference): recovery and `stop` release nothing on a guess; only an instance
// whose maker never wrote one is known to hold nothing.
TEST_F(Owner, AStateThatCannotBeReadIsNeverReleasedOnAGuess) {
  namespace fs = std::filesystem;
  const VmName kept = VmName::parse("unreadable");
  {
    InstanceDir dir = InstanceDir::create(kept);
    dir.save(mounted_state("unreadable", Phase::running, false));
    std::ofstream(m_state / "instances/unreadable/state.json", std::ios::trunc) << "{\"name\": \"unread";
  }
  const VmName unwritten = VmName::parse("never-written");
  { InstanceDir dir = InstanceDir::create(unwritten); }
  const auto removed = collect_garbage(Connection::open("test:///default"), m_store);
  EXPECT_TRUE(InstanceDir::open(kept).has_value()) << "removed on a guess";
  EXPECT_EQ(m_store.unmounts, 0);
  EXPECT_TRUE(removed.contains("never-written"));
  EXPECT_FALSE(InstanceDir::open(unwritten).has_value()) << "an instance that never wrote its state holds nothing";

  auto dir = InstanceDir::open(kept);
  ASSERT_TRUE(dir.has_value());
  try {
    state_left_behind(*dir);
    ADD_FAILURE() << "an unreadable state was taken for an empty one";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read the state of VM unreadable"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'bcvk ephemeral rm -f unreadable'"), std::string::npos) << e.what();
  }
}

// A supervisor adopts the lock its starter hands down, and only that: another file, another
// instance's lock, or a second open of this lock that someone else holds is refused.
TEST_F(Owner, OnlyTheHeldLockOfTheInstanceItselfIsAdopted) {
  const VmName name = VmName::parse("adopting");
  InstanceDir maker = InstanceDir::create(name);
  InstanceDir other = InstanceDir::create(VmName::parse("other"));
  const auto refused = [&name](const std::string& fd_text) {
    auto dir = InstanceDir::open(name);
    try {
      dir->adopt_lock(fd_text);
    } catch (const Error& e) {
      return std::string(e.what()).find("is not the held lock of VM adopting") != std::string::npos;
    }
    return false;
  };
  EXPECT_TRUE(refused("0"));
  EXPECT_TRUE(refused("3x"));
  EXPECT_TRUE(refused(std::to_string(other.lock_fd()))) << "another instance's lock";
  const int second_open = ::open((m_state / "instances/adopting/lock").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(second_open, 0);
  EXPECT_TRUE(refused(std::to_string(second_open))) << "held by another description (the maker's)";
  ::close(second_open);
  // What a supervisor gets: a duplicate of the description that holds the lock.
  auto supervisor = InstanceDir::open(name);
  EXPECT_NO_THROW(supervisor->adopt_lock(std::to_string(::fcntl(maker.lock_fd(), F_DUPFD_CLOEXEC, 3))));
  EXPECT_TRUE(supervisor->locked());
}
