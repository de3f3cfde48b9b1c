#pragma once
// What a booting guest is doing, read from the text of its journal (and console): one short phrase
// while bcvk waits, and the tail with the likely cause when the wait fails. Pure.
#include <string>
#include <string_view>

namespace bcvk {

// The last step systemd reported ("reached target Network", "starting OpenBSD Secure Shell
// server"), or "" before the journal says anything. At most `max_chars` characters.
std::string latest_boot_step(std::string_view journal, std::size_t max_chars = 60);

// The last `lines` non-empty lines of `text`, each indented by two spaces, joined by '\n'.
std::string tail_lines(std::string_view text, std::size_t lines);

// The most telling sign of a failed boot, as one line (bcvk's minimal initramfs's own reason,
// "Timed out waiting for device ...",
// "Failed to start ...", "emergency mode"), or "" when there is none.
std::string likely_boot_failure(std::string_view journal, std::string_view console);

// What to tell a user whose guest never became reachable: the likely cause and the last 15 lines
// of the journal (of the console when the journal is empty); "" when both are empty.
std::string boot_failure_report(std::string_view journal, std::string_view console);

} // namespace bcvk
