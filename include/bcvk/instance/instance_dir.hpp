#pragma once
// An instance directory: the on-disk record of one VM and of every resource it holds.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bcvk/util/error.hpp"
#include "bcvk/util/handle.hpp"
#include "bcvk/util/signals.hpp"
#include "bcvk/vm/names.hpp"
#include "bcvk/vm/instance_layout.hpp"
#include "bcvk/vm/instance_record.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/util/clock.hpp"

namespace bcvk {

// Where the instance is in its life. "creating" and "removing" instances are removed by garbage
// collection: the first never ran, the second was being removed when its owner died.
enum class Phase { creating, running, stopped, removing };
std::string to_string(Phase phase);
Phase phase_from_string(const std::string& text);

// Saved as state.json: the record plus what the instance holds right now; written before and
// after each resource is taken or released.
struct InstanceState : InstanceRecord {
  Phase phase = Phase::creating;
  bool image_mounted = false; // one `podman image mount` reference is held
  std::string started;        // when its domain was last started (RFC 3339, UTC); empty before
};

// Serialisation of the state file (pure).
std::string state_to_json(const InstanceState& state);
InstanceState state_from_json(const std::string& json);

// A claimed instance directory (layout in instance_layout.hpp), with its owner lock and state.
class InstanceDir : public InstanceLayout {
public:
  // Claims the name atomically, the directory appearing with its lock held; throws UsageError when
  // an instance of that name exists.
  static InstanceDir create(const VmName& name);
  // nullopt when there is no instance of that name (a link in its place is not one).
  static std::optional<InstanceDir> open(const VmName& name);
  // Like open(), but throws Error "no ephemeral VM named ..." naming the fix.
  static InstanceDir open_existing(const VmName& name);
  // Where the instance `name` lives (or would), whether or not it exists.
  static std::string path_of(const VmName& name);
  // Instances on disk, sorted; entries that are not valid names or not directories are ignored.
  static std::vector<VmName> list_names();

  const std::string& name() const { return m_name.str(); }
  const VmName& vm_name() const { return m_name; }

  enum class LockResult { locked, busy, gone };
  // Takes the owner lock without waiting. `busy`: a live process owns the instance; `gone`: the
  // instance was removed meanwhile (its lock file no longer exists).
  LockResult try_lock();
  // Waits up to `timeout_ms` for the owner to let go; `busy` on timeout. With `signals`, a
  // termination signal ends the wait (Interrupted).
  LockResult wait_lock(int timeout_ms, SignalCatcher* signals = nullptr);
  bool locked() const { return static_cast<bool>(m_lock); }
  // The lock's descriptor (close-on-exec), for handing down to a supervisor process.
  int lock_fd() const { return m_lock.get(); }
  // Adopts the lock descriptor (its number as text) inherited from the parent process; throws
  // Error unless it is this instance's lock file and the inherited description holds its lock.
  void adopt_lock(const std::string& fd_text);

  // Moves the overlay of an instance made before it lived in the private overlay/ directory.
  // Only for the lock holder, while nothing is mounted.
  void migrate_layout() const;

  // The released marker, for crash recovery to pass over a kept instance without locking or
  // reading it: present only while the instance holds nothing (its VM stopped, nothing mounted,
  // no image reference). Its lock holder writes it after a release that keeps the instance and
  // clears it before taking anything again.
  void mark_released() const;
  void clear_released() const;
  static bool is_marked_released(const VmName& name);

  InstanceState load() const;
  // nullopt when no state was ever written (its maker was killed first); throws Error, as load(),
  // when there is one that cannot be read.
  std::optional<InstanceState> load_if_written() const;
  void save(const InstanceState& state) const; // atomic replace, 0600
  // Deletes the directory tree without following any link in it; refuses if anything is still
  // mounted below it. The directory's contents go first, in place; its name goes last, in one step
  // (a rename), so whoever finds the name finds the lock and can wait for the removal to end.
  void remove_tree();
  // Deletes what killed processes left of instances being made or deleted (never a VM's).
  static void sweep_transient_entries();

private:
  InstanceDir(VmName name, std::string path) : InstanceLayout(std::move(path)), m_name(std::move(name)) {}
  VmName m_name;
  Fd m_lock;
};

// How long stop and rm wait for an instance's owner to finish its cleanup once the VM is gone: its
// release may itself wait up to 30 s for each busy mount to come free, on a host that may be busy.
inline constexpr int k_owner_cleanup_wait_ms = 120000;

// "--name: a VM named X already exists: ..." with the fix.
UsageError vm_exists_error(const VmName& name);

} // namespace bcvk
