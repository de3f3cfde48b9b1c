#include "bcvk/vm/emulator_log.hpp"

#include <vector>

namespace bcvk {
namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    if (!line.empty()) {
      lines.push_back(line);
    }
    if (end == std::string_view::npos) {
      break;
    }
    text.remove_prefix(end + 1);
  }
  return lines;
}

// libvirt's own lines start with its time stamp ("2026-12-01 23:10:00.123+0000: ..."); the rest
// is what QEMU (or the kernel's report of its death) wrote.
bool is_libvirt_line(std::string_view line) {
  return line.size() > 20 && line[4] == '-' && line[7] == '-' && line[10] == ' ' && line[13] == ':' &&
         line.find("+0000: ") != std::string_view::npos;
}

// QEMU's own error messages name the program ("qemu-system-x86_64: ...", assertions included);
// GLib's start with "ERROR:" or "**". Its start-up chatter ("char device redirected ...") is no
// account of a crash.
bool is_emulator_error(std::string_view line) {
  return line.starts_with("qemu-") || line.starts_with("ERROR:") || line.starts_with("**");
}

// The log is written by a process running the guest: keep the account printable and short.
std::string printable(std::string_view text, std::size_t max) {
  std::string out;
  for (const char c : text.substr(0, max)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  }
  return out;
}

} // namespace

std::optional<std::string> emulator_crash(std::string_view log) {
  const auto lines = lines_of(log);
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
        account = printable(lines[j - 1], 300) + "; then ";
        break;
      }
    }
    return account + printable(lines[i], 200);
  }
  return std::nullopt;
}

} // namespace bcvk
