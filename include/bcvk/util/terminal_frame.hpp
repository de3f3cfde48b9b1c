#pragma once
// A block of lines redrawn in place on a terminal (the table `stats` streams), without clearing
// the screen first: each line overwrites the last frame's, so nothing flickers (pure but for
// terminal_size_of).
#include <cstddef>
#include <string>

namespace bcvk {

// The size of the terminal the frame is drawn on.
struct TerminalSize {
  std::size_t columns = 80;
  std::size_t rows = 24;
};

// The size of the terminal on `fd`; 80 columns or 24 rows where it says none (or is no terminal).
TerminalSize terminal_size_of(int fd);

// The lines of `frame` (each ending in '\n') that fit: all but what would scroll the first one
// off the screen (a line that scrolled away cannot be redrawn).
std::size_t frame_lines(const std::string& frame, const TerminalSize& size);

// What to write to replace the `previous_lines` lines drawn last (0: none yet) with `frame` (ASCII):
// back to the first of them, the frame_lines() that fit, each cut to one column short of the
// width so none wraps and erased to its end, then everything below erased.
std::string frame_update(std::size_t previous_lines, const std::string& frame, const TerminalSize& size);

// Hides and shows the cursor while frames are drawn.
inline constexpr const char* k_hide_cursor = "\033[?25l";
inline constexpr const char* k_show_cursor = "\033[?25h";

} // namespace bcvk
