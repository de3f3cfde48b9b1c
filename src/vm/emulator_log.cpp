#include "bcvk/vm/emulator_log.hpp"

#include "bcvk/util/terminal_text.hpp"

#include <algorithm>
#include <vector>

namespace bcvk {
namespace {

// libvirt's own lines start at column 0 with its time stamp, always in UTC:
// "2026-12-01 23:10:00.123+0000: ...".
bool is_libvirt_line(std::string_view line) {
  constexpr std::string_view k_shape = "dddd-dd-dd dd:dd:dd.ddd+0000: ";
  if (line.size() < k_shape.size()) {
    return false;
  }
  for (std::size_t i = 0; i < k_shape.size(); ++i) {
    const bool ok = k_shape[i] == 'd' ? (line[i] >= '0' && line[i] <= '9') : line[i] == k_shape[i];
    if (!ok) {
      return false;
    }
  }
  return true;
}

// QEMU's own lines may carry its time stamp (libvirt starts it with -msg timestamp=on):
// "2026-12-01T23:10:00.123456Z qemu-system-x86_64: ...". The message without it.
std::string_view without_qemu_time_stamp(std::string_view line) {
  if (line.size() > 20 && line[4] == '-' && line[10] == 'T') {
    if (const auto space = line.find("Z "); space != std::string_view::npos && space < 32) {
      return line.substr(space + 2);
    }
  }
  return line;
}

// QEMU's own error messages name the program ("qemu-system-x86_64: ...", assertions included);
// GLib's start with "ERROR:" or "**". Its start-up chatter ("char device redirected ...") is no
// account of a crash.
bool is_emulator_error(std::string_view line) {
  const std::string_view message = without_qemu_time_stamp(line);
  return message.starts_with("qemu-") || message.starts_with("ERROR:") || message.starts_with("**");
}

// The log holds what the process running the guest wrote: keep the account short and plain ASCII
// (the message reaches a terminal).
std::string printable(std::string_view text, std::size_t max) {
  return terminal_safe(text.substr(0, max), Charset::ascii);
}

} // namespace

std::optional<std::string> emulator_crash(std::string_view log) {
  const auto lines = non_empty_lines(log);
  std::size_t first = 0; // the last run's first line
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (is_libvirt_line(lines[i]) && lines[i].find(": starting up") != std::string_view::npos) {
      first = i;
    }
  }
  for (std::size_t i = first; i < lines.size(); ++i) {
    if (!is_libvirt_line(lines[i]) || lines[i].find("shutting down, reason=crashed") == std::string_view::npos) {
      continue;
    }
    std::string account;
    for (std::size_t j = i; j > first; --j) {
      if (!is_libvirt_line(lines[j - 1]) && is_emulator_error(lines[j - 1])) {
        account = printable(without_qemu_time_stamp(lines[j - 1]), 300) + "; then ";
        break;
      }
    }
    return account + printable(lines[i], 200);
  }
  return std::nullopt;
}

bool is_virtiofsd_log_of(std::string_view file, std::string_view name) {
  static constexpr std::string_view k_suffix = "-virtiofsd.log";
  if (file.size() < name.size() + k_suffix.size() || !file.starts_with(name) || !file.ends_with(k_suffix)) {
    return false;
  }
  std::string_view alias = file.substr(name.size(), file.size() - name.size() - k_suffix.size());
  if (!alias.starts_with("-fs")) {
    return false;
  }
  alias.remove_prefix(3);
  return !alias.empty() && std::all_of(alias.begin(), alias.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace bcvk
