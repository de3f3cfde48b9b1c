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
#include "../common/private_state_dir.hpp"
#include "bcvk/host/host_inputs.hpp"
#include "bcvk/instance/instance_domain.hpp"
#include "bcvk/instance/recovery.hpp"
#include "bcvk/instance/start.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/util/signals.hpp"
#include "bcvk/verbs/instance_view.hpp"
#include "bcvk/verbs/verbs.hpp"
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
  std::string pull(const std::string&, const RegistryAccess&, SignalCatcher*) override { return {}; }
  ImageInfo inspect(const std::string&) override { return {}; }
  std::string mount(const std::string&) override { return "/nonexistent"; }
  void unmount(const std::string&) override {
    ++unmounts;
    const auto domain = m_conn.find(m_name);
    vm_ran_at_unmount = domain && domain->is_active();
  }
  std::vector<ImageInfo> list_bootc_images() override { return {}; }
  std::string storage_root() override { return "/var/lib/containers/storage"; }
  std::set<std::string> image_layer_ids() override { return {}; }
  int unmounts = 0;
  bool vm_ran_at_unmount = false;

private:
  const Connection& m_conn;
  std::string m_name;
};

class StartPath : public ::testing::Test {
protected:
  void SetUp() override { virSetErrorFunc(nullptr, quiet_errors); }
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
  fs::path instance_path() const { return m_state.path() / "instances" / m_name; }

  test_support::PrivateStateDir m_state{"bcvk-start-"};
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
  // stop on this connection cannot reach that VM: it says where it is instead of waiting.
  SignalCatcher signals;
  const Context ctx{.connect_uri = m_conn.uri(), .signals = &signals};
  ::testing::internal::CaptureStderr();
  EXPECT_NE(stop_instances(StopRequest{{VmName::parse(m_name)}, 1, true}, ctx), 0);
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("was created on qemu:///elsewhere, not on test:///default: stop it with 'bcvk -c "
                      "qemu:///elsewhere ephemeral stop start-path'"),
            std::string::npos)
      << said;
  EXPECT_EQ(store.unmounts, 0);

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
  state.uri = "test://" + (m_state.path() / "no-such-driver-file.xml").string();
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
  owner->state().uri = "test://" + (m_state.path() / "no-such-driver-file.xml").string();
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

// A kept instance, and an unrelated VM that later took its name on the same libvirt (virsh, another
// tool): ps, stop, rm -f and recovery act on the instance's own domain, the one with the UUID it was
// created with, never on the other VM; with its own domain they act as before.
TEST_F(StartPath, AnotherVmThatTookTheNameIsNeverActedOn) {
  WatchingStore store(m_conn, m_name);
  const std::string ours = "6b1c7a52-3f0e-4d7b-9a61-0c2e5f4d8e17";
  const auto make_instance = [&](Phase phase, bool auto_remove) {
    InstanceState state;
    state.name = m_name;
    state.uri = m_conn.uri();
    state.domain_uuid = ours;
    state.phase = phase;
    state.auto_remove = auto_remove;
    InstanceOwner owner(InstanceDir::create(VmName::parse(m_name)), state, store);
    owner.save();
    owner.hand_over(); // as a kept instance, or one whose owner died
  };
  const auto domain_with = [&](const std::string& uuid) {
    VmSpec spec = golden::minimal_spec(m_name);
    spec.uuid = uuid;
    return m_conn.create(render_domain_xml(spec), {});
  };
  SignalCatcher signals;
  const Context ctx{.connect_uri = m_conn.uri(), .signals = &signals};
  const RmRequest rm_force{{VmName::parse(m_name)}, false, true, false};

  make_instance(Phase::stopped, false);
  const Domain stranger = domain_with("0d6f3a8e-1b2c-4d5e-8f90-a1b2c3d4e5f6");
  const auto views = load_views(m_conn, Which::all);
  ASSERT_EQ(views.size(), 1U);
  EXPECT_EQ(views[0].status, "stopped") << "ps called the other VM the instance's";
  EXPECT_TRUE(load_views(m_conn, Which::running).empty());
  EXPECT_EQ(stop_instances(StopRequest{{VmName::parse(m_name)}, 1, true}, ctx), 0);
  EXPECT_TRUE(stranger.is_active()) << "stop --force powered off another VM";
  EXPECT_EQ(remove_instances(rm_force, ctx), 0);
  EXPECT_TRUE(stranger.is_active()) << "rm -f destroyed another VM";
  EXPECT_FALSE(fs::exists(instance_path()));

  // An --rm instance whose owner died while another VM has its name: recovery removes it (its own
  // VM is gone) and neither adopts nor touches the other VM.
  make_instance(Phase::running, true);
  const auto removed = collect_garbage(m_conn, store);
  EXPECT_TRUE(removed.contains(m_name));
  EXPECT_FALSE(fs::exists(instance_path()));
  EXPECT_TRUE(stranger.is_active());
  stranger.destroy();

  // Its own domain (recorded as stopped, so that recovery leaves it to rm): rm -f powers it off and
  // removes the instance.
  make_instance(Phase::stopped, false);
  const Domain own = domain_with(ours);
  const auto listed = load_views(m_conn, Which::running);
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(listed[0].status, "running");
  EXPECT_EQ(remove_instances(rm_force, ctx), 0);
  EXPECT_FALSE(own.is_active());
  EXPECT_FALSE(fs::exists(instance_path()));
}

// A damaged state still does not make bcvk act on whatever domain has the name: the domain XML it
// saved names the instance's UUID.
TEST_F(StartPath, ADamagedStateIsLookedUpByTheUuidOfItsSavedDomain) {
  WatchingStore store(m_conn, m_name);
  const std::string ours = "6b1c7a52-3f0e-4d7b-9a61-0c2e5f4d8e17";
  {
    InstanceState state;
    state.name = m_name;
    state.domain_uuid = ours;
    InstanceOwner owner(InstanceDir::create(VmName::parse(m_name)), state, store);
    owner.save();
    VmSpec spec = golden::minimal_spec(m_name);
    spec.uuid = ours;
    write_file_atomic(owner.dir().domain_xml_file(), render_domain_xml(spec));
    owner.hand_over();
  }
  const auto dir = InstanceDir::open(VmName::parse(m_name));
  ASSERT_TRUE(dir.has_value());
  write_file_atomic(dir->file("state.json"), "{damaged");
  EXPECT_EQ(record_for_lookup(*dir).domain_uuid, ours);
  EXPECT_EQ(record_for_lookup(*dir).name, m_name);

  const Domain stranger = [&] {
    VmSpec spec = golden::minimal_spec(m_name);
    spec.uuid = "0d6f3a8e-1b2c-4d5e-8f90-a1b2c3d4e5f6";
    return m_conn.create(render_domain_xml(spec), {});
  }();
  EXPECT_FALSE(instance_domain(m_conn, m_name, record_for_lookup(*dir)).has_value())
      << "the other VM with the name is not the damaged instance's";
  stranger.destroy();

  fs::remove(dir->domain_xml_file());
  EXPECT_EQ(record_for_lookup(*dir).domain_uuid, "") << "nothing names a UUID: the name alone";
}
