#include "bcvk/util/status_line.hpp"

#include <unistd.h>

#include <array>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "bcvk/util/terminal_frame.hpp"
#include "bcvk/util/utf8.hpp"

namespace bcvk {
namespace {

// A line that wraps cannot be redrawn with '\r': keep it one column short of the width.
std::size_t terminal_columns() {
  return terminal_size_of(STDERR_FILENO).columns - 1U;
}

// The first `columns` characters of `text` (one column each: bcvk's status texts are ASCII but for
// names the user typed), never cutting a UTF-8 sequence.
std::string first_columns(const std::string& text, std::size_t columns) {
  std::size_t end = 0;
  for (std::size_t shown = 0; end < text.size() && shown < columns; ++shown) {
    const std::size_t len = utf8_sequence_length(text, end);
    end += len == 0 ? 1 : len;
  }
  return text.substr(0, end);
}

} // namespace

bool dumb_terminal() {
  const char* term = std::getenv("TERM");
  return term == nullptr || std::string_view(term) == "dumb";
}

bool status_line_possible() {
  return ::isatty(STDERR_FILENO) == 1 && !dumb_terminal();
}

void StatusLine::show(const std::string& text) {
  static constexpr std::array<const char*, 4> k_frames{"|", "/", "-", "\\"};
  if (!m_active) {
    return;
  }
  std::string line = std::string(k_frames[m_frame++ % k_frames.size()]) + " " + text;
  std::cerr << "\r\033[K" << first_columns(line, terminal_columns()) << std::flush;
  m_drawn = true;
}

void StatusLine::clear() {
  if (m_active && m_drawn) {
    std::cerr << "\r\033[K" << std::flush;
    m_drawn = false;
  }
}

} // namespace bcvk
