#pragma once
// Files bcvk places into the guest's root (the instance's own overlay) before it boots: units and
// scripts that work on every systemd version, unlike credentials-based unit injection (256+).
#include <string>
#include <utility>
#include <vector>

#include "bcvk/run_options.hpp"

namespace bcvk {

// virtio-serial port names the guest side of --execute writes to.
inline constexpr const char* k_execute_stdout_port = "org.bcvk.execute.stdout";
inline constexpr const char* k_execute_stderr_port = "org.bcvk.execute.stderr";
inline constexpr const char* k_execute_status_port = "org.bcvk.execute.status";

// Where the files live inside the guest.
inline constexpr const char* k_execute_script_path = "/etc/bcvk/execute.sh";
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

// The script that runs each --execute command in order with `env` exported, stops at the first
// failure, and reports the status on the status port. Pure.
std::string execute_script(const std::vector<std::string>& commands, const std::vector<KeyValue>& env);

// The unit that runs the script once the system is up and powers the guest off afterwards. Pure.
std::string execute_unit();

// Everything --execute needs inside the guest.
std::vector<GuestFile> execute_files(const std::vector<std::string>& commands, const std::vector<KeyValue>& env);

// systemd's path escaping for unit names ("/run/virtiofs-mnt-src" -> "run-virtiofs\x2dmnt\x2dsrc"),
// as `systemd-escape --path` does.
std::string systemd_escape_path(const std::string& path);

// Where a --bind/--ro-bind NAME appears in the guest.
std::string guest_mount_point(const std::string& name);
// The virtiofs tag of a bind mount (the root file system uses "rootfs").
std::string mount_tag(const std::string& name);

// A .mount unit that mounts virtiofs `tag` at `where` before local-fs.target.
GuestFile virtiofs_mount_unit(const std::string& tag, const std::string& where, bool read_only);

// A .swap unit activating the device with virtio serial `serial`.
GuestFile swap_unit(const std::string& serial);

// The unit copying the guest's journal to the org.bcvk.journal port from early boot on.
GuestFile journal_unit();
inline constexpr const char* k_journal_port = "org.bcvk.journal";

// The [Install] WantedBy=/RequiredBy= targets of a unit file, as (target, "wants"|"requires").
std::vector<std::pair<std::string, std::string>> install_targets(const std::string& unit_text);

// Enablement symlinks for `unit_name` (installed at /etc/systemd/system/) per its [Install] section.
std::vector<GuestFile> enable_links(const std::string& unit_name, const std::string& unit_text);

// Writes the files below `root` (the mounted overlay), creating parent directories.
void install_guest_files(const std::string& root, const std::vector<GuestFile>& files);

} // namespace bcvk
