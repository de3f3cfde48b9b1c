#pragma once
// Reading the text of /proc/PID files and of libvirt's pid files for a VM's helper processes (pure).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bcvk {

// The value of a "Key:\tvalue" line of /proc/PID/status as a whole number; a size ("VmRSS:  1234
// kB") comes back in bytes. Empty when the line is missing or not a number.
std::optional<std::uint64_t> status_number(std::string_view status, std::string_view key);

// Whether the Uid: and Gid: lines of /proc/PID/status name root for every id (real, effective,
// saved, file system).
bool status_ids_are_root(std::string_view status);

// rchar and wchar of /proc/PID/io: the bytes a process read and wrote through system calls.
struct IoCounters {
  std::uint64_t read_bytes = 0;
  std::uint64_t write_bytes = 0;
};
std::optional<IoCounters> parse_proc_io(std::string_view io);

// The process ids of /proc/PID/task/TID/children ("12 34 "); nothing that is not a positive number.
std::vector<int> parse_pid_list(std::string_view text);

// libvirt's short name of a running domain, which its per-domain files carry: "ID-NAME" with the
// name cut to 20 characters (bcvk's names are ASCII, where libvirt cuts bytes).
std::string libvirt_short_name(int id, std::string_view name);

// Whether `file` is the pid file libvirt keeps for one virtiofsd of the domain with that short name:
// "SHORT-fsN-fs.pid", fsN being the alias libvirt gave the share.
bool is_virtiofsd_pid_file(std::string_view file, std::string_view short_name);

} // namespace bcvk
