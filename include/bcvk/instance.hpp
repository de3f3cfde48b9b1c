#pragma once
// An instance directory: the on-disk record of one VM and of every resource it holds.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bcvk/error.hpp"
#include "bcvk/handle.hpp"
#include "bcvk/names.hpp"
#include "bcvk/run_options.hpp"

namespace bcvk {

// Where the instance is in its life; "creating" instances are removed by garbage collection.
enum class Phase { creating, running, stopped };
std::string to_string(Phase phase);
Phase phase_from_string(const std::string& text);

// Saved as state.json; written before and after each resource is taken or released.
struct InstanceState {
  std::string name;
  std::string image;
  std::string image_id;
  std::string created;
  std::string uri;
  Phase phase = Phase::creating;
  bool auto_remove = false;
  bool detached = false;
  bool image_mounted = false; // one `podman image mount` reference is held
  std::string kernel_version;
  int systemd_version = 0;
  std::uint64_t memory_bytes = 0;
  unsigned vcpus = 0;
  unsigned ssh_port = 0;
  std::vector<KeyValue> labels;
  // Host directories shared read-only: re-created as read-only bind mounts on every start.
  std::vector<BindSpec> read_only_binds;
  // The other host paths the domain uses; checked again before every start.
  std::vector<BindSpec> read_write_binds;
  std::vector<DiskFileSpec> disks;
  std::vector<SerialOutSpec> serial_outputs;
};

// Serialisation of the state file (pure).
std::string state_to_json(const InstanceState& state);
InstanceState state_from_json(const std::string& json);

// Who may see what below the state directory (bcvk runs as root; QEMU runs as libvirt's
// unprivileged user and opens the kernel, initramfs and disk files itself):
//   state root, instances/, instance dir   0711  traversable, not listable
//   boot/ (kernel, initramfs)              0711, files 0644: QEMU reads them
//   overlay/ (upper, work, root mount)     0700  the guest's whole file system
//   ro/ (read-only views), ssh/ (keys)     0700
//   state.json, domain.xml, swap.img, ...  0600
class InstanceDir {
public:
  // BCVK_STATE_DIR, else /var/lib/bcvk. Throws UsageError when it is not an absolute path, or
  // exists but is not a directory that only root can write (e.g. /tmp): such a directory is never
  // used and never chmod'ed.
  static std::string state_root();
  // The state root, created (0711) when missing, then checked as above.
  static std::string ensure_state_root();
  static std::string instances_root();
  // Claims the name atomically; throws UsageError when an instance of that name exists.
  static InstanceDir create(const VmName& name);
  // nullopt when there is no instance of that name (a link in its place is not one).
  static std::optional<InstanceDir> open(const VmName& name);
  // Like open(), but throws Error "no ephemeral VM named ..." naming the fix.
  static InstanceDir open_existing(const VmName& name);
  // Instances on disk, sorted; entries that are not valid names or not directories are ignored.
  static std::vector<VmName> list_names();

  const std::string& name() const { return m_name.str(); }
  const VmName& vm_name() const { return m_name; }
  const std::string& path() const { return m_path; }
  std::string file(const std::string& relative) const { return m_path + "/" + relative; }
  std::string overlay_dir() const { return file("overlay"); }
  std::string upper_dir() const { return file("overlay/upper"); }
  std::string work_dir() const { return file("overlay/work"); }
  std::string root_dir() const { return file("overlay/root"); }
  std::string boot_dir() const { return file("boot"); }
  std::string kernel_file() const { return file("boot/vmlinuz"); }
  std::string initrd_file() const { return file("boot/initramfs.img"); }
  std::string console_log() const { return file("console.log"); }
  std::string domain_xml_file() const { return file("domain.xml"); }
  std::string supervisor_log() const { return file("supervisor.log"); }

  enum class LockResult { locked, busy, gone };
  // Takes the owner lock without waiting. `busy`: a live process owns the instance; `gone`: the
  // instance was removed meanwhile (its lock file no longer exists).
  LockResult try_lock();
  // Waits up to `timeout_ms` for the owner to let go; `busy` on timeout.
  LockResult wait_lock(int timeout_ms);
  bool locked() const { return static_cast<bool>(m_lock); }
  // The lock's descriptor (close-on-exec), for handing down to a supervisor process.
  int lock_fd() const { return m_lock.get(); }
  // Adopts a lock descriptor inherited from the parent process.
  void adopt_lock(int fd);

  // Moves the overlay of an instance made before it lived in the private overlay/ directory.
  // Only for the lock holder, while nothing is mounted.
  void migrate_layout() const;

  InstanceState load() const;
  void save(const InstanceState& state) const; // atomic replace, 0600
  // Deletes the directory tree without following any link in it; refuses if anything is still
  // mounted below it.
  void remove_tree();

private:
  InstanceDir(VmName name, std::string path) : m_name(std::move(name)), m_path(std::move(path)) {}
  VmName m_name;
  std::string m_path;
  Fd m_lock;
};

// "--name: a VM named X already exists: ..." with the fix.
UsageError vm_exists_error(const VmName& name);

// Creates directory `path` with `mode` if missing (an existing one must be a real directory, not a
// link); the mode is applied only to a directory created here.
void make_private_dir(const std::string& path, unsigned mode);

// Writes `data` to `path` atomically (an exclusive temporary file + rename, never through a link)
// with the given mode.
void write_file_atomic(const std::string& path, const std::string& data, unsigned mode = 0600);
std::string read_text_file(const std::string& path);

// RFC 3339 UTC timestamp of now.
std::string now_rfc3339();

} // namespace bcvk
