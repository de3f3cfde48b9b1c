#include "bcvk/vm/run_options.hpp"

#include <tuple>

#include "bcvk/util/error.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/vm/instance_type.hpp"
#include "bcvk/vm/names.hpp"
#include "bcvk/vm/resolved_inputs.hpp"
#include "bcvk/util/size.hpp"
#include "bcvk/vm/kernel_cmdline.hpp"
#include "bcvk/vm/guest_files.hpp"
#include "bcvk/vm/pull_options.hpp"
#include "bcvk/vm/architecture.hpp"

#include <algorithm>
#include <filesystem>
#include <cctype>
#include <charconv>
#include <set>

namespace bcvk {
namespace {

// virtiofs tags and virtio-blk serials have small fixed limits in the device models.
constexpr std::size_t k_max_mount_name = 32;
constexpr std::size_t k_max_disk_name = 20;
constexpr std::size_t k_max_port_name = 63;

const char* const k_name_rule = "letters, digits, '_', '.' and '-', starting with a letter or digit";

std::string basename_of(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') {
    path.remove_suffix(1);
  }
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// A share name for a guest path: its last component with anything a name cannot hold replaced.
std::string name_from_guest_path(const std::string& path) {
  std::string name;
  for (const char c : basename_of(path)) {
    const auto u = static_cast<unsigned char>(c);
    name += std::isalnum(u) != 0 || c == '_' || c == '.' || c == '-' ? c : '-';
  }
  while (!name.empty() && std::isalnum(static_cast<unsigned char>(name.front())) == 0) {
    name.erase(0, 1);
  }
  if (name.size() > k_max_mount_name - 4) {
    name.resize(k_max_mount_name - 4); // room for a "-NN" suffix that makes it distinct
  }
  return name.empty() ? "share" : name;
}

bool is_env_key(std::string_view key) {
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0])) != 0) {
    return false;
  }
  return std::all_of(key.begin(), key.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; });
}

std::uint64_t swap_size(const std::string& text) {
  return parse_size_in_range("--add-swap", text, 16 * k_mib, k_max_memory);
}

// Names of bcvk's own devices and ports: a user's disk or port must not pose as one.
constexpr const char* k_reserved_disk_prefix = "bcvk-";
constexpr const char* k_reserved_port_prefix = "org.bcvk.";

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

} // namespace

KeyValue parse_key_value(const std::string& option, const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw UsageError(option + ": invalid value '" + text + "': use KEY=VALUE");
  }
  KeyValue kv{text.substr(0, eq), text.substr(eq + 1)};
  check_plain_text(option, "key", kv.key);
  check_plain_text(option, "value", kv.value);
  if (option == "--env" && !is_env_key(kv.key)) {
    throw UsageError("--env: invalid variable name '" + kv.key +
                     "': use letters, digits and '_', not starting with a digit");
  }
  if (kv.key.find_first_of("\n\r\t ") != std::string::npos) {
    throw UsageError(option + ": invalid key '" + kv.key + "': keys cannot contain white space");
  }
  return kv;
}

void check_guest_mount_path(const std::string& option, const std::string& path) {
  const auto refuse = [&](const std::string& why) {
    throw UsageError(option + ": guest path '" + printable(path) + "' " + why);
  };
  if (path.empty() || path.front() != '/') {
    refuse("is not absolute: give a path such as /workspace");
  }
  for (const char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) == 0 && std::string_view("/._-+@,=~").find(c) == std::string_view::npos) {
      refuse("has a character other than letters, digits and / . _ - + @ , = ~: pick a plainer path");
    }
  }
  std::size_t start = 1;
  while (start <= path.size() && path != "/") {
    const auto slash = std::min(path.find('/', start), path.size());
    const std::string component = path.substr(start, slash - start);
    if (component.empty() || component == "." || component == "..") {
      std::string normal = std::filesystem::path(path).lexically_normal().string();
      while (normal.size() > 1 && normal.back() == '/') {
        normal.pop_back();
      }
      if (normal == "/") {
        break; // refused below as the root itself
      }
      refuse("is not normalised (empty, '.' or '..' component): write it as " + normal);
    }
    start = slash + 1;
  }
  if (path == "/" || std::filesystem::path(path).lexically_normal() == "/") {
    refuse("is the guest's root file system: mount the share below it, e.g. /workspace");
  }
  if (path.rfind("/run/virtiofs-mnt-", 0) == 0) {
    refuse("is where bcvk mounts shares given a NAME: pick a path outside /run/virtiofs-mnt-*");
  }
  // The guest's own system lives there: a share over it would hide or replace the image's files.
  // Below /run (a tmpfs of the guest's) only /run itself is refused.
  static const char* const k_system_dirs[] = {"/usr", "/etc", "/proc", "/sys", "/dev", "/boot", "/sysroot"};
  for (const std::string dir : k_system_dirs) {
    if (is_at_or_below(path, dir)) {
      refuse("is inside " + dir + ", which the guest's own system needs: mount the share elsewhere, e.g. /workspace");
    }
  }
  // The mount unit is named after the escaped path, and a unit name has at most 255 bytes.
  if (systemd_escape_path(path).size() + std::string_view(".mount").size() > 255) {
    refuse("is too long for the name of its mount unit: pick a shorter path");
  }
  if (path == "/run") {
    refuse("is the guest's runtime directory, which its own system needs: mount the share elsewhere, e.g. "
           "/workspace");
  }
}

BindSpec parse_bind(const std::string& option, const std::string& text, bool read_only) {
  const std::string usage = "use HOST_PATH[:NAME] or HOST_PATH:/GUEST/PATH";
  if (text.empty()) {
    throw UsageError(option + ": empty value: " + usage);
  }
  const auto colon = text.rfind(':');
  BindSpec spec;
  spec.read_only = read_only;
  if (colon == std::string::npos) {
    spec.host_path = text;
    spec.name = basename_of(text);
  } else {
    spec.host_path = text.substr(0, colon);
    spec.name = text.substr(colon + 1);
  }
  if (spec.host_path.empty()) {
    throw UsageError(option + ": '" + printable(text) + "' has no host path: " + usage);
  }
  check_plain_text(option, "path", spec.host_path);
  if (!spec.name.empty() && spec.name.front() == '/') {
    spec.guest_path = spec.name;
    while (spec.guest_path.size() > 1 && spec.guest_path.back() == '/') {
      spec.guest_path.pop_back(); // "/workspace/" means /workspace
    }
    check_guest_mount_path(option, spec.guest_path);
    spec.name = name_from_guest_path(spec.guest_path);
    return spec;
  }
  if (!is_valid_name(spec.name, k_max_mount_name)) {
    throw UsageError(option + ": invalid mount name '" + printable(spec.name) + "' in '" + printable(text) + "': use " +
                     k_name_rule + ", at most " + std::to_string(k_max_mount_name) +
                     " characters (give one explicitly as HOST_PATH:NAME)");
  }
  return spec;
}

DiskFileSpec parse_disk_file(const std::string& text) {
  const std::string option = "--mount-disk-file";
  if (text.empty()) {
    throw UsageError(option + ": empty value: use FILE[:NAME]");
  }
  const auto colon = text.rfind(':');
  DiskFileSpec spec;
  if (colon == std::string::npos) {
    spec.path = text;
    spec.name = basename_of(text);
    const auto dot = spec.name.find('.');
    if (dot != std::string::npos && dot > 0) {
      spec.name.resize(dot);
    }
  } else {
    spec.path = text.substr(0, colon);
    spec.name = text.substr(colon + 1);
  }
  if (spec.path.empty()) {
    throw UsageError(option + ": '" + text + "' has no file: use FILE[:NAME]");
  }
  check_plain_text(option, "path", spec.path);
  if (!is_valid_name(spec.name, k_max_disk_name)) {
    throw UsageError(option + ": invalid disk name '" + printable(spec.name) + "' in '" + printable(text) + "': use " +
                     k_name_rule + ", at most " + std::to_string(k_max_disk_name) +
                     " characters (give one explicitly as FILE:NAME)");
  }
  if (starts_with_ignoring_case(spec.name, k_reserved_disk_prefix)) {
    throw UsageError(option + ": disk name '" + spec.name + "' is reserved for bcvk's own devices (" +
                     k_reserved_disk_prefix + "*): give another one as FILE:NAME");
  }
  return spec;
}

SerialOutSpec parse_serial_out(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    throw UsageError("--virtio-serial-out: invalid value '" + text + "': use NAME:/path/to/file");
  }
  SerialOutSpec spec{text.substr(0, colon), text.substr(colon + 1)};
  if (!is_valid_name(spec.name, k_max_port_name)) {
    throw UsageError("--virtio-serial-out: invalid port name '" + printable(spec.name) + "': use " + k_name_rule);
  }
  if (starts_with_ignoring_case(spec.name, k_reserved_port_prefix)) {
    throw UsageError("--virtio-serial-out: port name '" + spec.name + "' is reserved for bcvk's own ports (" +
                     k_reserved_port_prefix + "*): pick another NAME");
  }
  check_plain_text("--virtio-serial-out", "path", spec.path);
  return spec;
}

GraphicsMode parse_graphics(const std::string& text) {
  if (text.empty() || text == "none") {
    return GraphicsMode::none;
  }
  if (text == "vnc") {
    return GraphicsMode::vnc;
  }
  if (text == "spice") {
    return GraphicsMode::spice;
  }
  throw UsageError("--graphics: unsupported value '" + printable(text) + "': use none (default), vnc or spice");
}

NetworkChoice parse_network(const std::string& text) {
  if (text.empty() || text == "isolated" || text == "default") {
    return {NetworkMode::isolated, ""};
  }
  if (text == "none") {
    return {NetworkMode::none, ""};
  }
  if (text == "user") {
    return {NetworkMode::user, ""};
  }
  if (text.rfind("bridge=", 0) == 0) {
    const std::string bridge = text.substr(7);
    if (!is_valid_name(bridge, 15)) {
      throw UsageError("--network: invalid bridge name '" + bridge + "': use bridge=BRIDGE, e.g. bridge=br0");
    }
    return {NetworkMode::bridge, bridge};
  }
  if (text.rfind("network=", 0) == 0 || is_valid_name(text, 255)) {
    const std::string net = text.rfind("network=", 0) == 0 ? text.substr(8) : text;
    if (!is_valid_name(net, 255)) {
      throw UsageError("--network: invalid libvirt network name '" + net + "'");
    }
    return {NetworkMode::libvirt_network, net};
  }
  throw UsageError("--network: unsupported value '" + text +
                   "': use isolated (default), none, user, bridge=BRIDGE or a libvirt network name");
}

unsigned parse_vcpus(const std::string& text) {
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value < 1 || value > k_max_vcpus) {
    throw UsageError("--vcpus: invalid count '" + text + "': use a whole number from 1 to " +
                     std::to_string(k_max_vcpus));
  }
  return value;
}

RunConfig validate_run_options(const RunOptions& options, unsigned host_cpus) {
  RunConfig config;
  check_image_reference(options.image);
  config.pull = parse_pull_policy(options.pull);
  if (options.authfile) {
    check_authfile_option(*options.authfile);
  }
  config.registry = {options.authfile.value_or(""), options.tls_verify,
                     options.arch ? parse_arch_option(*options.arch) : std::string()};
  config.image = options.image;
  if (options.name) {
    config.name = VmName::parse(*options.name, "--name");
  }
  config.memory_bytes = parse_size_in_range("--memory", options.memory, k_min_memory, k_max_memory);
  config.vcpus = options.vcpus.empty() ? std::clamp(host_cpus, 1U, k_max_vcpus) : parse_vcpus(options.vcpus);
  if (!options.itype.empty()) {
    const auto& type = find_instance_type(options.itype);
    config.memory_bytes = type.memory_bytes;
    config.vcpus = type.vcpus;
  }
  config.console = options.console;
  config.debug = options.debug;
  config.ssh_keygen = options.ssh_keygen;
  config.tty = options.tty;
  config.interactive = options.interactive;
  config.detach = options.detach;
  config.rm = options.rm;
  if (config.detach && (config.tty || config.interactive)) {
    throw UsageError("--detach cannot be combined with --tty/--interactive: attach later with "
                     "'virsh console NAME' or 'bcvk ephemeral ssh NAME'");
  }
  if (config.console && config.detach) {
    throw UsageError("--console cannot be combined with --detach: follow a detached VM's console with "
                     "'bcvk ephemeral logs -f --console NAME'");
  }
  if (config.debug && config.detach) {
    throw UsageError("--debug cannot be combined with --detach: --debug only prepares and prints the VM");
  }
  if (!options.execute.empty() && config.detach) {
    throw UsageError("--execute cannot be combined with --detach: the command's output and status come back "
                     "to this terminal");
  }
  if (!options.debug_entrypoint.empty() && (config.debug || config.detach)) {
    throw UsageError("--debug-entrypoint cannot be combined with --debug or --detach");
  }
  config.network = parse_network(options.network);
  config.graphics = parse_graphics(options.graphics);
  for (const auto& port : options.ports) {
    config.ports.push_back(parse_port(port));
  }
  check_distinct_ports(config.ports);
  if (!config.ports.empty() && config.network.mode == NetworkMode::none) {
    throw UsageError("--port: a VM with --network none has no network device to forward to: drop one of the two");
  }
  for (const auto& label : options.labels) {
    config.labels.push_back(parse_key_value("--label", label));
  }
  for (const auto& env : options.env) {
    config.env.push_back(parse_key_value("--env", env));
  }
  for (const auto& command : options.execute) {
    if (command.find_first_not_of(" \t\n\r\v\f") == std::string::npos) {
      throw UsageError("--execute: empty command: give a shell command, e.g. --execute 'uname -a'");
    }
    config.execute.push_back(command);
  }
  config.debug_entrypoint = options.debug_entrypoint;
  std::vector<std::pair<std::string, BindSpec>> binds; // with the option that gave each
  for (const auto& bind : options.binds) {
    binds.emplace_back("--bind", parse_bind("--bind", bind, false));
  }
  for (const auto& bind : options.ro_binds) {
    binds.emplace_back("--ro-bind", parse_bind("--ro-bind", bind, true));
  }
  // Names the user gave (or a host path's base name) first; a share at a guest path is named after
  // that path, with a suffix that keeps it apart from all of those rather than refusing a name the
  // user never gave.
  // The storage view's name is reserved whether or not --bind-storage-ro is given: bcvk shares a
  // read-only bind by that name as the storage view, never as the user's directory.
  std::set<std::string> mount_names{k_storage_mount_name};
  for (const auto& [option, spec] : binds) {
    if (!spec.guest_path.empty()) {
      continue;
    }
    if (spec.name == k_storage_mount_name) {
      throw UsageError(option + ": the mount name '" + k_storage_mount_name +
                       "' is reserved for --bind-storage-ro: give the share another NAME as HOST_PATH:NAME");
    }
    if (!mount_names.insert(spec.name).second) {
      throw UsageError(option + ": mount name '" + spec.name +
                       "' is used twice: give each bind a distinct NAME as HOST_PATH:NAME");
    }
  }
  std::set<std::string> guest_paths;
  for (auto& [option, spec] : binds) {
    if (spec.guest_path.empty()) {
      continue;
    }
    if (!guest_paths.insert(spec.guest_path).second) {
      throw UsageError(option + ": guest path '" + spec.guest_path +
                       "' is used twice: mount each share at its own path");
    }
    const std::string base = spec.name;
    for (int n = 2; mount_names.count(spec.name) != 0; ++n) {
      spec.name = base + "-" + std::to_string(n);
    }
    mount_names.insert(spec.name);
  }
  for (auto& [option, spec] : binds) {
    config.binds.push_back(std::move(spec));
  }
  if (!options.systemd_units.empty()) {
    check_plain_text("--systemd-units", "path", options.systemd_units);
  }
  config.systemd_units = options.systemd_units;
  config.bind_storage_ro = options.bind_storage_ro;
  if (!options.add_swap.empty()) {
    config.swap_bytes = swap_size(options.add_swap);
  }
  if (!options.root_size.empty()) {
    config.root_size_bytes = parse_size_in_range("--root-size", options.root_size, k_min_root_size, k_max_root_size);
  }
  if (!options.initramfs.empty()) {
    config.initramfs = parse_initramfs_choice(options.initramfs);
  }
  for (const auto& [option, path, what] : {std::tuple{"--cloud-init", &options.cloud_init, "the seed directory"},
                                           std::tuple{"--ignition", &options.ignition, "the config file"}}) {
    if (*path && (*path)->empty()) {
      throw UsageError(std::string(option) + ": empty path: give " + what);
    }
    if (*path) {
      check_plain_text(option, "path", **path);
    }
  }
  config.cloud_init = options.cloud_init.value_or("");
  config.ignition = options.ignition.value_or("");
  config.assume_ignition = options.assume_ignition;
  if (config.assume_ignition && config.ignition.empty()) {
    throw UsageError("--assume-ignition: it only matters with --ignition FILE: give both, or neither");
  }
  // Ignition runs in the image's initramfs; bcvk's own has none.
  if (!config.ignition.empty() && config.initramfs == InitramfsChoice::minimal) {
    throw UsageError("--initramfs minimal: Ignition runs in the image's own initramfs, which --ignition needs: "
                     "drop --initramfs minimal");
  }
  std::set<std::string> disk_names;
  for (const auto& disk : options.mount_disk_files) {
    auto spec = parse_disk_file(disk);
    if (!disk_names.insert(spec.name).second) {
      throw UsageError("--mount-disk-file: disk name '" + spec.name +
                       "' is used twice: give each disk a distinct NAME as FILE:NAME");
    }
    config.disks.push_back(std::move(spec));
  }
  std::set<std::string> port_names;
  for (const auto& out : options.virtio_serial_out) {
    auto spec = parse_serial_out(out);
    if (!port_names.insert(spec.name).second) {
      throw UsageError("--virtio-serial-out: port name '" + spec.name + "' is used twice");
    }
    config.serial_outputs.push_back(std::move(spec));
  }
  for (const auto& karg : options.kargs) {
    check_kernel_argument("--karg", karg);
    config.kargs.push_back(karg);
  }
  if (const auto length = kernel_cmdline(config.kargs, has_display(config)).size(); length > k_max_kernel_cmdline) {
    throw UsageError("--karg: the kernel command line would be " + std::to_string(length) +
                     " bytes; the kernel keeps only " + std::to_string(k_max_kernel_cmdline) +
                     ": pass fewer arguments");
  }
  if (options.ssh_timeout_seconds && *options.ssh_timeout_seconds == 0) {
    throw UsageError("--ssh-timeout: must be at least 1 second");
  }
  config.ssh_timeout_seconds = options.ssh_timeout_seconds;
  if (config.ssh_keygen && config.network.mode == NetworkMode::none) {
    throw UsageError("--ssh-keygen: a VM with --network none cannot be reached over SSH: drop one of the two");
  }
  return config;
}

RunConfig validate_run_ssh_options(const RunOptions& options, unsigned host_cpus) {
  const auto refuse = [](const std::string& option, const std::string& fix) {
    throw UsageError("run-ssh: " + option + " cannot be used here: " + fix);
  };
  if (!options.execute.empty()) {
    refuse("--execute", "put the command after '--' (run-ssh IMAGE -- COMMAND)");
  }
  if (options.console || options.tty || options.interactive) {
    refuse("--console/-t/-i", "the terminal belongs to the SSH session; use 'bcvk ephemeral run' for the console");
  }
  if (options.debug || !options.debug_entrypoint.empty()) {
    refuse("--debug/--debug-entrypoint", "use 'bcvk ephemeral run' to inspect what would be started");
  }
  if (options.detach) {
    refuse("--detach", "run-ssh lasts one session; use 'bcvk ephemeral run -d -K' and 'bcvk ephemeral ssh'");
  }
  if (!options.network.empty() && parse_network(options.network).mode == NetworkMode::none) {
    refuse("--network none", "SSH needs the network; drop --network none");
  }
  RunOptions session = options;
  session.ssh_keygen = true;
  session.rm = true;
  return validate_run_options(session, host_cpus);
}

} // namespace bcvk
