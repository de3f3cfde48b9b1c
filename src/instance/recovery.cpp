#include "bcvk/instance/recovery.hpp"
#include "bcvk/util/rooted_fs.hpp"

#include <set>
#include <string>

#include <spdlog/spdlog.h>

#include "bcvk/host/mounts.hpp"
#include "bcvk/host/state_dir.hpp"
#include "bcvk/instance/instance_domain.hpp"
#include "bcvk/instance/owner.hpp"
#include "bcvk/instance/supervisor.hpp"

namespace bcvk {
namespace {

// True when it removed the instance.
bool collect_one(const Connection& conn, ImageStore& store, const VmName& vm, const std::set<std::string>& mounted) {
  const std::string& name = vm.str();
  if (InstanceDir::is_marked_released(vm) && !mounted.contains(name)) {
    return false; // kept, holds nothing: nothing to recover, whatever else happens to it meanwhile
  }
  auto dir = InstanceDir::open(vm);
  if (!dir || dir->try_lock() != InstanceDir::LockResult::locked) {
    return false; // gone meanwhile, or a live process owns it
  }
  // A state that cannot be read throws (a warning of collect_garbage): nothing goes on a guess.
  InstanceState state = state_left_behind(*dir);
  if (state.uri.empty() && state.phase == Phase::creating && !state.image_mounted) {
    spdlog::info("removing {}, left incomplete by an interrupted bcvk", name);
    release_instance(*dir, state, store, Disposition::remove);
    return true;
  }
  if (!state.uri.empty() && state.uri != conn.uri()) {
    return false; // its VM lives on another libvirt connection: this one cannot tell whether it runs
  }
  if (state.phase == Phase::stopped && !state.image_mounted && mounts_below(dir->path()).empty()) {
    dir->migrate_layout();                           // what an older bcvk kept: make its overlay private
    remove_tree_nofollow(dir->commit_staging_dir()); // what a killed commit left
    dir->mark_released();                            // kept on purpose, holds nothing: no need to look again
    return false;
  }
  if (const auto domain = instance_domain(conn, name, state); domain && domain->is_active()) {
    spdlog::info("VM {} lost its supervisor; starting a new one", name);
    spawn_supervisor(*dir, conn.uri());
    return false;
  }
  const Disposition disposition = disposition_left_behind(state);
  const bool remove = disposition == Disposition::remove;
  spdlog::info("cleaning up {} after an interrupted bcvk ({})", name, remove ? "removing it" : "keeping it stopped");
  release_instance(*dir, state, store, disposition);
  return remove;
}

// The names of the instances with anything mounted below their directory, from one read of the
// mount table: a marker must never hide a mount (one left by a bcvk that knew no markers).
std::set<std::string> instances_with_mounts() {
  const std::string root = instances_root() + "/";
  std::set<std::string> names;
  for (const auto& mount : mounts_below(instances_root())) {
    if (mount.starts_with(root)) {
      names.insert(mount.substr(root.size(), mount.find('/', root.size()) - root.size()));
    }
  }
  return names;
}

} // namespace

std::set<std::string> collect_garbage(const Connection& conn, ImageStore& store) {
  InstanceDir::sweep_transient_entries();
  const std::set<std::string> mounted = instances_with_mounts();
  std::set<std::string> removed;
  for (const auto& name : InstanceDir::list_names()) {
    try {
      if (collect_one(conn, store, name, mounted)) {
        removed.insert(name.str());
      }
    } catch (const std::exception& e) {
      spdlog::warn("cannot clean up {}: {}", name.str(), e.what());
    }
  }
  return removed;
}

} // namespace bcvk
