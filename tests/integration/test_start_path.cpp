// The one start path (start.hpp) on libvirt's test driver: whatever fails after the domain exists,
// the VM is powered off first, and only then does its owner give the storage back.
#include <gtest/gtest.h>
#include <libvirt/virterror.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "../common/child_holding.hpp"
#include "../common/golden_specs.hpp"
#include "bcvk/host/host_inputs.hpp"
#include "bcvk/instance/recovery.hpp"
#include "bcvk/instance/start.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/vm/domain_xml.hpp"

using namespace bcvk;
namespace fs = std::filesystem;

namespace {

void quiet_errors(void*, virErrorPtr) {}

// Notes, at each unmount, whether libvirt still had the domain running.
class WatchingStore : public ImageStore {
public:
  WatchingStore(const Connection& conn, std::string name) : m_conn(conn), m_name(std::move(name)) {}
  bool exists(const std::string&) override { return true; }
  void pull(const std::string&) override {}
  ImageInfo inspect(const std::string&) override { return {}; }
  std::string mount(const std::string&) override { return "/nonexistent"; }
  void unmount(const std::string&) override {
    ++unmounts;
    const auto domain = m_conn.find(m_name);
    vm_ran_at_unmount = domain && domain->is_active();
  }
  std::vector<ImageInfo> list_bootc_images() override { return {}; }
  std::string storage_root() override { return "/var/lib/containers/storage"; }
  int unmounts = 0;
  bool vm_ran_at_unmount = false;

private:
  const Connection& m_conn;
  std::string m_name;
};

class StartPath : public ::testing::Test {
protected:
  void SetUp() override {
    virSetErrorFunc(nullptr, quiet_errors);
    m_state = fs::temp_directory_path() / ("bcvk-start-" + std::to_string(::getpid()));
    fs::create_directory(m_state);
    fs::permissions(m_state, fs::perms::owner_all);
    ::setenv("BCVK_STATE_DIR", m_state.c_str(), 1);
  }
  void TearDown() override {
    fs::remove_all(m_state);
    ::unsetenv("BCVK_STATE_DIR");
  }
  // An instance that holds an image mount, as prepare_instance leaves it.
  std::unique_ptr<InstanceOwner> owner_holding_image(ImageStore& store) {
    InstanceState state;
    state.name = m_name;
    state.image_id = "0123456789abcdef";
    state.auto_remove = true;
    state.image_mounted = true;
    state.uri = m_conn.uri();
    auto owner = std::make_unique<InstanceOwner>(InstanceDir::create(VmName::parse(m_name)), state, store);
    owner->save();
    return owner;
  }
  fs::path instance_path() const { return m_state / "instances" / m_name; }

  fs::path m_state;
  std::string m_name = "start-path";
  Connection m_conn = Connection::open("test:///default");
};

} // namespace

TEST_F(StartPath, FailingToRecordTheRunningVmPowersItOffBeforeReleasingStorage) {
  WatchingStore store(m_conn, m_name);
  auto owner = owner_holding_image(store);
  // Saving the state now fails: a directory stands where state.json is replaced.
  fs::remove(instance_path() / "state.json");
  fs::create_directories(instance_path() / "state.json" / "blocker");

  EXPECT_THROW(start_instance_domain(m_conn, std::move(owner), render_domain_xml(golden::minimal_spec(m_name)), {}),
               Error);
  EXPECT_FALSE(m_conn.find(m_name).has_value()) << "the VM must not outlive a failed start";
  EXPECT_EQ(store.unmounts, 1) << "the image mount is given back";
  EXPECT_FALSE(store.vm_ran_at_unmount) << "storage was released under a running VM";
}

TEST_F(StartPath, AFailureAfterTheStartPowersOffBeforeReleasingStorage) {
  WatchingStore store(m_conn, m_name);
  try {
    StartedInstance started =
        start_instance_domain(m_conn, owner_holding_image(store), render_domain_xml(golden::minimal_spec(m_name)), {});
    ASSERT_TRUE(started.domain().is_active());
    EXPECT_EQ(started.owner().state().phase, Phase::running);
    EXPECT_EQ(started.owner().dir().load().phase, Phase::running) << "the running phase is on disk";
    throw std::runtime_error("e.g. SSH never came up");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(m_conn.find(m_name).has_value());
  EXPECT_EQ(store.unmounts, 1);
  EXPECT_FALSE(store.vm_ran_at_unmount);
  EXPECT_FALSE(fs::exists(instance_path())) << "an --rm instance is removed";
}

TEST_F(StartPath, ACreateThatFailsReleasesWhatTheOwnerHeld) {
  WatchingStore store(m_conn, m_name);
  EXPECT_THROW(start_instance_domain(m_conn, owner_holding_image(store), "<domain type='kvm'><name>", {}),
               LibvirtError);
  EXPECT_EQ(store.unmounts, 1);
  EXPECT_FALSE(fs::exists(instance_path())) << "an instance that never ran is not kept";
}

TEST_F(StartPath, ReleaseAfterTheVmStoppedKeepsAKeptInstance) {
  WatchingStore store(m_conn, m_name);
  auto owner = owner_holding_image(store);
  owner->state().auto_remove = false;
  StartedInstance started =
      start_instance_domain(m_conn, std::move(owner), render_domain_xml(golden::minimal_spec(m_name)), {});
  started.release(Disposition::keep);
  EXPECT_FALSE(m_conn.find(m_name).has_value());
  EXPECT_FALSE(store.vm_ran_at_unmount);
  ASSERT_TRUE(fs::exists(instance_path()));
  EXPECT_EQ(InstanceDir::open_existing(VmName::parse(m_name)).load().phase, Phase::stopped);
}

TEST_F(StartPath, RecoveryLeavesAnInstanceOfAnotherLibvirtAlone) {
  WatchingStore store(m_conn, m_name);
  {
    auto owner = owner_holding_image(store);
    owner->state().uri = "qemu:///elsewhere";
    owner->state().phase = Phase::running;
    owner->save();
    owner->hand_over(); // its owner "died": nobody holds the lock any more
  }
  collect_garbage(m_conn, store);
  EXPECT_EQ(store.unmounts, 0) << "this connection cannot tell whether that VM still runs";
  EXPECT_TRUE(fs::exists(instance_path() / "state.json"));

  // The same instance recorded on this connection, VM gone: recovery releases it.
  auto dir = InstanceDir::open_existing(VmName::parse(m_name));
  ASSERT_EQ(dir.try_lock(), InstanceDir::LockResult::locked);
  InstanceState state = dir.load();
  state.uri = m_conn.uri();
  dir.save(state);
  dir = InstanceDir::open_existing(VmName::parse(m_name)); // lets go of the lock
  collect_garbage(m_conn, store);
  EXPECT_EQ(store.unmounts, 1);
  EXPECT_FALSE(fs::exists(instance_path())) << "an --rm instance whose VM is gone is removed";
}

// Whoever calls it (a verb, recovery, an owner's destructor), release asks libvirt first, on the
// URI the instance was made on, and keeps everything while the VM runs or libvirt cannot say.
TEST_F(StartPath, NothingIsReleasedWhileTheVmRunsOrLibvirtCannotSay) {
  WatchingStore store(m_conn, m_name);
  auto owner = owner_holding_image(store);
  const Domain domain = m_conn.create(render_domain_xml(golden::minimal_spec(m_name)), {});
  std::string why;
  try {
    owner->release(Disposition::remove);
  } catch (const Error& e) {
    why = e.what();
  }
  EXPECT_NE(why.find("VM start-path still runs on test:///default: its storage is kept"), std::string::npos) << why;
  EXPECT_EQ(store.unmounts, 0);
  EXPECT_TRUE(fs::exists(instance_path() / "state.json"));
  domain.destroy();
  owner.reset(); // a refused release hands the instance over: the destructor leaves it alone

  InstanceDir dir = InstanceDir::open_existing(VmName::parse(m_name));
  ASSERT_EQ(dir.try_lock(), InstanceDir::LockResult::locked);
  InstanceState state = dir.load();
  state.uri = "test://" + (m_state / "no-such-driver-file.xml").string();
  EXPECT_THROW(release_instance(dir, state, store, Disposition::remove), Error);
  try {
    release_instance(dir, state, store, Disposition::remove);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot tell whether VM start-path still runs"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(store.unmounts, 0);
  EXPECT_TRUE(fs::exists(instance_path() / "state.json"));

  state.uri = m_conn.uri();
  release_instance(dir, state, store, Disposition::remove);
  EXPECT_EQ(store.unmounts, 1);
  EXPECT_FALSE(fs::exists(instance_path()));
}

// `rm --forget`: the libvirt an instance was made on is gone for good. Its storage is released only
// once no process on this host (virtiofsd, QEMU, virtlogd of a VM still running) uses its files.
TEST_F(StartPath, ForgettingAnInstanceWhoseLibvirtIsGoneWaitsForTheHostsProcesses) {
  WatchingStore store(m_conn, m_name);
  auto owner = owner_holding_image(store);
  owner->state().uri = "test://" + (m_state / "no-such-driver-file.xml").string();
  owner->save();
  owner->hand_over();
  owner.reset();

  InstanceDir dir = InstanceDir::open_existing(VmName::parse(m_name));
  ASSERT_EQ(dir.try_lock(), InstanceDir::LockResult::locked);
  InstanceState state = dir.load();
  std::string why;
  try {
    release_instance(dir, state, store, Disposition::remove);
  } catch (const Error& e) {
    why = e.what();
  }
  EXPECT_NE(why.find("'bcvk ephemeral rm --forget start-path' if that libvirt is gone for good"), std::string::npos)
      << why;

  {
    test_support::ChildHolding vm_process((instance_path() / "state.json").string());
    why.clear();
    try {
      release_instance(dir, state, store, Disposition::remove, IfLibvirtSilent::check_host);
    } catch (const Error& e) {
      why = e.what();
    }
    EXPECT_NE(why.find("does not answer"), std::string::npos) << why;
    EXPECT_NE(why.find("sleep (pid " + std::to_string(vm_process.pid()) + ") still uses " +
                       (instance_path() / "state.json").string() + ": its storage is kept"),
              std::string::npos)
        << why;
    EXPECT_EQ(store.unmounts, 0);
    EXPECT_TRUE(fs::exists(instance_path() / "state.json"));
  }

  release_instance(dir, state, store, Disposition::remove, IfLibvirtSilent::check_host);
  EXPECT_EQ(store.unmounts, 1);
  EXPECT_FALSE(fs::exists(instance_path()));
}
