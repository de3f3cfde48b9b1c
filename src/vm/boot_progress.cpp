#include "bcvk/vm/boot_progress.hpp"

#include "bcvk/util/terminal_text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace bcvk {
namespace {

// The message of a journal line ("Nov 24 10:00:00.123456 host systemd[1]: MESSAGE").
std::string_view systemd_message(std::string_view line) {
  const auto at = line.find("systemd[1]: ");
  return at == std::string_view::npos ? std::string_view{} : line.substr(at + 12);
}

} // namespace

std::string latest_boot_step(std::string_view journal, std::size_t max_chars) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 5> k_steps{{
      {"Reached target ", "reached "},
      {"Starting ", "starting "},
      {"Started ", "started "},
      {"Finished ", "finished "},
      {"Mounted ", "mounted "},
  }};
  const auto lines = non_empty_lines(journal);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    const auto message = systemd_message(*it);
    for (const auto& [prefix, shown] : k_steps) {
      if (message.substr(0, prefix.size()) == prefix) {
        std::string step = std::string(shown) + terminal_safe(message.substr(prefix.size()), Charset::ascii);
        while (!step.empty() && (step.back() == '.' || step.back() == ' ')) {
          step.pop_back();
        }
        if (step.size() > max_chars) {
          step = step.substr(0, max_chars - 3) + "...";
        }
        return step;
      }
    }
  }
  return "";
}

std::string tail_lines(std::string_view text, std::size_t count) {
  const auto lines = non_empty_lines(text);
  std::string out;
  for (std::size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i) {
    out += (out.empty() ? "  " : "\n  ") + terminal_safe(lines[i], Charset::ascii);
  }
  return out;
}

std::string likely_boot_failure(std::string_view journal, std::string_view console) {
  // The most specific signs first; within one sign, the latest line.
  static constexpr std::array<std::string_view, 9> k_signs{
      "bcvk-init: cannot", "Kernel panic",       "Timed out waiting for device",
      "emergency mode",    "Failed to mount",    "Dependency failed for",
      "Failed to start",   "failed with result", "Cannot open access to console"};
  const auto journal_lines = non_empty_lines(journal);
  const auto console_lines = non_empty_lines(console);
  for (const auto sign : k_signs) {
    for (const auto* lines : {&journal_lines, &console_lines}) {
      for (auto it = lines->rbegin(); it != lines->rend(); ++it) {
        if (const auto at = it->find(sign); at != std::string_view::npos) {
          if (sign == k_signs.front()) { // bcvk's init says it all: from its name, without the kernel's time
            return terminal_safe(it->substr(at), Charset::ascii);
          }
          const auto message = systemd_message(*it);
          return terminal_safe(message.empty() ? *it : message, Charset::ascii);
        }
      }
    }
  }
  return "";
}

std::string boot_failure_report(std::string_view journal, std::string_view console) {
  std::string report;
  if (const auto cause = likely_boot_failure(journal, console); !cause.empty()) {
    report = "likely cause: " + cause;
  }
  const bool from_journal = !non_empty_lines(journal).empty();
  if (const auto tail = tail_lines(from_journal ? journal : console, 15); !tail.empty()) {
    report += std::string(report.empty() ? "" : "\n") + "last lines of the guest's " +
              (from_journal ? "journal" : "console") + ":\n" + tail;
  }
  return report;
}

} // namespace bcvk
