#pragma once
// `ephemeral run` options as typed by the user, and the validated form the runtime consumes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bcvk/vm/initramfs_choice.hpp"
#include "bcvk/vm/names.hpp"
#include "bcvk/vm/port_spec.hpp"
#include "bcvk/vm/pull_options.hpp"

namespace bcvk {

// Exactly what the command line said; strings are checked by validate_run_options().
struct RunOptions {
  std::string image;
  std::string pull = "missing";
  std::optional<std::string> authfile; // given (even empty) or not
  bool tls_verify = true;
  std::optional<std::string> arch; // given (even empty) or not
  std::string itype;
  std::string memory = "4G";
  std::string vcpus;
  bool console = false;
  bool debug = false;
  std::vector<std::string> virtio_serial_out;
  std::vector<std::string> execute;
  bool ssh_keygen = false;
  bool tty = false;
  bool interactive = false;
  bool detach = false;
  bool rm = false;
  std::optional<std::string> name; // given (even empty) or not
  std::string network;
  std::string graphics;
  std::vector<std::string> ports;
  std::vector<std::string> labels;
  std::vector<std::string> env;
  std::string debug_entrypoint;
  std::vector<std::string> binds;
  std::vector<std::string> ro_binds;
  std::string systemd_units;
  bool bind_storage_ro = false;
  std::string add_swap;
  std::string root_size;
  std::string initramfs;                 // empty: the default for the guest's architecture
  std::optional<std::string> cloud_init; // a NoCloud seed directory: given (even empty) or not
  std::optional<std::string> ignition;   // an Ignition config file: given (even empty) or not
  bool assume_ignition = false;
  std::vector<std::string> mount_disk_files;
  std::vector<std::string> kargs;
  std::optional<unsigned> ssh_timeout_seconds; // the hard cap; absent: ssh_wait_limits() decides
};

struct KeyValue {
  std::string key;
  std::string value;
  bool operator==(const KeyValue&) const = default;
};

struct BindSpec {
  std::string host_path;
  std::string name; // the share's name: its virtiofs tag is mnt-NAME
  bool read_only = false;
  std::string guest_path; // where the guest mounts it; empty: /run/virtiofs-mnt-NAME
  bool operator==(const BindSpec&) const = default;
};

struct DiskFileSpec {
  std::string path;
  std::string name;
  // Recorded at first use (empty on the command line): later checks and boots never probe what
  // the guest may since have written into the disk.
  std::string format;
  bool operator==(const DiskFileSpec&) const = default;
};

struct SerialOutSpec {
  std::string name;
  std::string path;
  bool operator==(const SerialOutSpec&) const = default;
};

enum class NetworkMode { isolated, none, user, libvirt_network, bridge };

// A display for virt-manager or a VNC/SPICE viewer, on 127.0.0.1 only; none by default (the serial
// console is what virt-manager's text console then shows).
enum class GraphicsMode { none, vnc, spice };

struct NetworkChoice {
  NetworkMode mode = NetworkMode::isolated;
  std::string source; // libvirt network name or bridge name
  bool operator==(const NetworkChoice&) const = default;
};

// What a guest may write to its root file system unless --root-size says otherwise: room for a
// developer's packages and builds, while a runaway guest cannot take the host's disk. The file
// behind it is sparse, so the host spends only what the guest writes.
inline constexpr std::uint64_t k_default_root_size = 10ULL * 1024 * 1024 * 1024;
inline constexpr std::uint64_t k_min_root_size = 64ULL * 1024 * 1024;               // a file system with room
inline constexpr std::uint64_t k_max_root_size = 15ULL * 1024 * 1024 * 1024 * 1024; // below ext4's 16 TiB file limit

// Syntactically valid options with every default applied; the file system is not consulted yet.
struct RunConfig {
  std::string image;
  PullPolicy pull = PullPolicy::missing;
  RegistryAccess registry;
  std::optional<VmName> name; // none: generate one
  std::uint64_t memory_bytes = 0;
  unsigned vcpus = 0;
  bool console = false;
  bool debug = false;
  bool ssh_keygen = false;
  bool tty = false;
  bool interactive = false;
  bool detach = false;
  bool rm = false;
  NetworkChoice network;
  GraphicsMode graphics = GraphicsMode::none;
  std::vector<PortForward> ports;
  std::vector<KeyValue> labels;
  std::vector<KeyValue> env;
  std::vector<std::string> execute;
  std::string debug_entrypoint;
  std::vector<BindSpec> binds;
  std::string systemd_units;
  bool bind_storage_ro = false;
  std::optional<std::uint64_t> swap_bytes;
  std::uint64_t root_size_bytes = k_default_root_size; // the cap on what the guest can write
  std::optional<InitramfsChoice> initramfs;            // none: the default for the guest's architecture
  std::string cloud_init;                              // --cloud-init DIR: a NoCloud seed, as given
  std::string ignition;                                // --ignition FILE, as given
  bool assume_ignition = false; // --assume-ignition: the image runs Ignition without a label saying so
  std::vector<DiskFileSpec> disks;
  std::vector<SerialOutSpec> serial_outputs;
  std::vector<std::string> kargs;
  std::optional<unsigned> ssh_timeout_seconds; // the hard cap; absent: ssh_wait_limits() decides
};

inline constexpr std::uint64_t k_min_memory = 128ULL * 1024 * 1024;
inline constexpr std::uint64_t k_max_memory = 1024ULL * 1024 * 1024 * 1024;
inline constexpr unsigned k_max_vcpus = 256;

// Checks every option and applies defaults; throws UsageError naming the first bad option.
RunConfig validate_run_options(const RunOptions& options, unsigned host_cpus);

// The same for `run-ssh`: options that make no sense for one SSH session are refused; the VM always
// gets SSH keys, is removed afterwards, and is owned by this process (libvirt destroys it should
// bcvk die).
RunConfig validate_run_ssh_options(const RunOptions& options, unsigned host_cpus);

// Parsers for the individual value syntaxes; each throws UsageError naming `option`.
KeyValue parse_key_value(const std::string& option, const std::string& text);
// HOST_PATH[:NAME] or HOST_PATH:/GUEST/PATH. A share mounted at a guest path is named after the
// path's last component (validate_run_options() makes such names distinct).
BindSpec parse_bind(const std::string& option, const std::string& text, bool read_only);
// An absolute, normalised guest mount point outside the places the guest's own system lives in.
void check_guest_mount_path(const std::string& option, const std::string& path);
DiskFileSpec parse_disk_file(const std::string& text);
SerialOutSpec parse_serial_out(const std::string& text);
NetworkChoice parse_network(const std::string& text);
GraphicsMode parse_graphics(const std::string& text);
inline bool has_display(const RunConfig& config) {
  return config.graphics != GraphicsMode::none;
}
unsigned parse_vcpus(const std::string& text);

} // namespace bcvk
