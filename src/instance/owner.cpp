#include "bcvk/instance/owner.hpp"
#include "bcvk/util/rooted_fs.hpp"

#include <spdlog/spdlog.h>

#include "bcvk/host/hypervisor.hpp"
#include "bcvk/instance/instance_domain.hpp"
#include "bcvk/host/mounts.hpp"
#include "bcvk/host/path_users.hpp"
#include "bcvk/host/shared_boot_files.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/fault_point.hpp"

namespace bcvk {
namespace {

// The last word when libvirt is gone for good: a VM running from the instance has virtiofsd, QEMU
// or virtlogd holding its files, whatever state its libvirt is in.
void require_no_host_process_uses(const InstanceDir& dir, const std::string& silence) {
  const auto users = processes_using(dir.path());
  if (!users.empty()) {
    const auto& user = users.front();
    throw Error("VM " + dir.name() + ": " + silence + " and " + user.command + " (pid " + std::to_string(user.pid) +
                ") still uses " + user.path + ": its storage is kept");
  }
  spdlog::warn("VM {}: {}, and no process on this host uses its files: releasing them", dir.name(), silence);
}

// Asks libvirt, on the connection the instance was made on (not whatever -c says now), whether its
// VM still runs. Anything but a clear "not running" keeps the storage: a running guest whose root
// is unmounted or whose overlay is deleted loses its data.
void require_vm_stopped(const InstanceDir& dir, const InstanceState& state, IfLibvirtSilent if_silent) {
  if (state.uri.empty() && !state.image_mounted && mounts_below(dir.path()).empty()) {
    return; // no state recorded yet (killed before its first write): nothing a VM could be using
  }
  const std::string& name = dir.name(); // the directory's name, not what a state file says
  const std::string connect = state.uri.empty() ? "" : " -c " + state.uri;
  const std::string where = state.uri.empty() ? "libvirt's default connection" : state.uri;
  try {
    const Connection conn = Connection::open(state.uri);
    const auto domain = instance_domain(conn, name, state);
    if (domain && domain->is_running()) {
      throw Error("VM " + name + " still runs on " + where + ": its storage is kept (stop it with 'bcvk" + connect +
                  " ephemeral stop " + name + "')");
    }
  } catch (const LibvirtError& e) {
    if (if_silent == IfLibvirtSilent::check_host) {
      require_no_host_process_uses(dir, "libvirt at " + where + " does not answer (" + e.what() + ")");
      return;
    }
    throw Error("cannot tell whether VM " + name + " still runs (" + e.what() + "): its storage is kept; 'bcvk" +
                connect + " ephemeral rm -f " + name +
                "' releases it once libvirt there answers, 'bcvk ephemeral rm --forget " + name +
                "' if that libvirt is gone for good");
  }
}

// The instance no longer mounts anything: it leaves the boot files it shared with others of its
// image, which go once nobody uses them and the image has left local storage. The instance
// directory is still there (it goes last), so the instance counts itself out by name: even when
// its state no longer says which image it booted, none of its records is left. A failure keeps
// the instance (in phase removing) for the next command to finish, and says why.
void leave_boot_files(const std::string& image_id, const VmName& name, ImageStore& store) {
  leave_shared_boot_files(
      image_id, name, [&name](const VmName& user) { return user != name && InstanceDir::open(user).has_value(); },
      [&store](const std::string& id) { return store.exists(id); });
}

} // namespace

void release_instance(InstanceDir& dir, InstanceState& state, ImageStore& store, Disposition disposition,
                      IfLibvirtSilent if_silent) {
  require_vm_stopped(dir, state, if_silent);
  // One order on every path, each step recorded before the next: whoever finds the instance after
  // a kill at any point (the next command's recovery, or `rm`) finishes the job. The directory is
  // the last thing to go, so once it is gone nothing of the instance is left anywhere.
  if (disposition == Disposition::remove && state.phase != Phase::removing) {
    state.phase = Phase::removing; // the intent survives a kill: recovery removes, never keeps
    try {
      dir.clear_released(); // a kept instance's marker would have recovery pass over it
      dir.save(state);
    } catch (const Error& e) {
      // Releasing still beats holding everything; only a kill from here on could keep it instead.
      spdlog::warn("{}: cannot record that {} is being removed: {}", dir.name(), dir.name(), e.what());
    }
  }
  fault_point("release-started");
  // Anything mounted below the instance (the root overlay, read-only bind views, boot files) first,
  // each by what bcvk mounted there: a view's submounts sit at paths other users control.
  release_mounts_below(dir.path());
  fault_point("release-unmounted");
  if (state.image_mounted) {
    spdlog::debug("releasing image mount of {}", state.image_id);
    store.unmount(state.image_id);
    state.image_mounted = false;
    dir.save(state);
  }
  fault_point("release-image-released");
  if (disposition == Disposition::remove) {
    leave_boot_files(state.image_id, dir.vm_name(), store);
    fault_point("release-boot-files-left");
    dir.remove_tree();
  } else {
    // What a commit killed before it could clean up left (a layer may be gigabytes).
    remove_tree_nofollow(dir.commit_staging_dir());
    if (state.phase != Phase::stopped) {
      state.phase = Phase::stopped;
      dir.save(state);
    }
    dir.mark_released();
  }
}

InstanceState state_left_behind(const InstanceDir& dir) {
  try {
    if (auto state = dir.load_if_written()) {
      return *state;
    }
  } catch (const Error& e) {
    throw Error("cannot read the state of VM " + dir.name() + " (" + dir.path() + "/state.json: " + e.what() +
                "), so bcvk does not know what it holds and releases nothing; 'bcvk ephemeral rm -f " + dir.name() +
                "' removes it");
  }
  InstanceState nothing;
  nothing.name = dir.name();
  nothing.phase = Phase::creating;
  return nothing;
}

Disposition disposition_left_behind(const InstanceState& state) {
  const bool remove = state.auto_remove || state.phase == Phase::creating || state.phase == Phase::removing;
  return remove ? Disposition::remove : Disposition::keep;
}

InstanceOwner::~InstanceOwner() {
  if (m_handed_over) {
    return;
  }
  try {
    // Reached on an error or interruption path: an instance that never ran is not worth keeping.
    const bool keep = m_state.phase == Phase::stopped || (m_state.phase == Phase::running && !m_state.auto_remove);
    release_instance(m_dir, m_state, m_store, keep ? Disposition::keep : Disposition::remove);
  } catch (const std::exception& e) {
    spdlog::error("cleanup of {} failed: {}; 'bcvk ephemeral rm -f {}' retries it", m_dir.name(), e.what(),
                  m_dir.name());
  }
}

void InstanceOwner::release(Disposition disposition) {
  m_handed_over = true;
  release_instance(m_dir, m_state, m_store, disposition);
}

} // namespace bcvk
