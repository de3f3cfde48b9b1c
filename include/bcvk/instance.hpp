#pragma once
// An instance directory: the on-disk record of one VM and of every resource it holds.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bcvk/handle.hpp"
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
};

// Serialisation of the state file (pure).
std::string state_to_json(const InstanceState& state);
InstanceState state_from_json(const std::string& json);

class InstanceDir {
public:
  // BCVK_STATE_DIR, else /var/lib/bcvk; instance directories live in its instances/ folder.
  static std::string state_root();
  static std::string instances_root();
  // Claims the name atomically; throws UsageError when an instance of that name exists.
  static InstanceDir create(const std::string& name);
  // nullopt when there is no instance of that name.
  static std::optional<InstanceDir> open(const std::string& name);
  static std::vector<std::string> list_names();

  const std::string& name() const { return m_name; }
  const std::string& path() const { return m_path; }
  std::string file(const std::string& relative) const { return m_path + "/" + relative; }
  std::string upper_dir() const { return file("upper"); }
  std::string work_dir() const { return file("work"); }
  std::string root_dir() const { return file("root"); }
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

  InstanceState load() const;
  void save(const InstanceState& state) const; // atomic replace
  // Deletes the directory tree; refuses if anything is still mounted below it.
  void remove_tree();

private:
  InstanceDir(std::string name, std::string path) : m_name(std::move(name)), m_path(std::move(path)) {}
  std::string m_name;
  std::string m_path;
  Fd m_lock;
};

// Writes `data` to `path` atomically (temporary file + rename) with the given mode.
void write_file_atomic(const std::string& path, const std::string& data, unsigned mode = 0644);
std::string read_text_file(const std::string& path);

// RFC 3339 UTC timestamp of now.
std::string now_rfc3339();

} // namespace bcvk
