#pragma once
// Files bcvk places into the guest's root (the instance's own overlay) before it boots: units and
// scripts that work on every systemd version, unlike credentials-based unit injection (256+).
#include <string>
#include <utility>
#include <vector>

#include "bcvk/vm/run_options.hpp"

namespace bcvk {

// virtio-serial port names the guest side of --execute writes to.
inline constexpr const char* k_execute_stdout_port = "org.bcvk.execute.stdout";
inline constexpr const char* k_execute_stderr_port = "org.bcvk.execute.stderr";
inline constexpr const char* k_execute_status_port = "org.bcvk.execute.status";

// Where the files live inside the guest.
inline constexpr const char* k_execute_script_path = "/etc/bcvk/execute.sh";
// Written by the script when it starts: the commands run on the first boot only.
inline constexpr const char* k_execute_done_path = "/etc/bcvk/execute.done";
// -e values: root-only files, never the kernel command line (which every local user can read in
// QEMU's argv and in the domain XML).
inline constexpr const char* k_execute_env_path = "/etc/bcvk/execute.env";
inline constexpr const char* k_manager_env_path = "/etc/systemd/system.conf.d/50-bcvk-env.conf";
inline constexpr const char* k_execute_unit_name = "bcvk-execute.service";

// A file to create below the guest's root: path relative to "/", content, mode; or a symlink.
struct GuestFile {
  std::string path;
  std::string content;
  unsigned mode = 0644;
  bool symlink = false; // content is the link target
};

// Quotes `text` for a POSIX shell (single quotes, with embedded ones escaped).
std::string shell_quote(const std::string& text);

// The script that runs each --execute command in order with the variables of k_execute_env_path
// exported, stops at the first failure, and reports the status on the status port. Pure.
std::string execute_script(const std::vector<std::string>& commands);

// The shell file exporting the -e variables for the --execute commands. Pure.
std::string execute_env_file(const std::vector<KeyValue>& env);

// The systemd manager drop-in that gives every service the -e variables (DefaultEnvironment=). Pure.
std::string manager_env_file(const std::vector<KeyValue>& env);

// The files that carry -e into the guest (none without variables), both readable by root only.
std::vector<GuestFile> env_files(const std::vector<KeyValue>& env);

// The unit that runs the script once the system is up and powers the guest off afterwards. Pure.
std::string execute_unit();

// Everything --execute needs inside the guest (the variables come from env_files()).
std::vector<GuestFile> execute_files(const std::vector<std::string>& commands);

// systemd's path escaping for unit names ("/run/virtiofs-mnt-src" -> "run-virtiofs\x2dmnt\x2dsrc"),
// as `systemd-escape --path` does.
std::string systemd_escape_path(const std::string& path);

// Where a --bind/--ro-bind share appears in the guest: its guest path, else /run/virtiofs-mnt-NAME.
std::string guest_mount_point(const BindSpec& bind);
// The virtiofs tag of a bind mount (the root file system uses "rootfs").
std::string mount_tag(const std::string& name);

// A .mount unit that mounts virtiofs `tag` at `where` before local-fs.target.
GuestFile virtiofs_mount_unit(const std::string& tag, const std::string& where, bool read_only);

// A .swap unit activating the device with virtio serial `serial`.
GuestFile swap_unit(const std::string& serial);

// The unit copying the guest's journal to the org.bcvk.journal port from early boot on.
GuestFile journal_unit();
inline constexpr const char* k_journal_port = "org.bcvk.journal";

// True for a systemd unit name: NAME.TYPE with a known type, only [A-Za-z0-9:_.@\\-] characters,
// at most 255 characters, not starting with '.' or '-'. Pure.
bool is_unit_name(const std::string& name);

// The [Install] WantedBy=/RequiredBy= targets of a unit file, as (target, "wants"|"requires").
std::vector<std::pair<std::string, std::string>> install_targets(const std::string& unit_text);

// Enablement symlinks for `unit_name` (installed at /etc/systemd/system/) per its [Install] section.
// Throws Error when a target is not a unit name (it would become a path).
std::vector<GuestFile> enable_links(const std::string& unit_name, const std::string& unit_text);

// The files that make the guest's sshd present bcvk's host key (it uses
// /etc/ssh/ssh_host_ed25519_key by default and only generates keys that are missing).
std::vector<GuestFile> host_key_files(const std::string& private_key, const std::string& public_key_line);

} // namespace bcvk
