#pragma once
// One line of "what bcvk is waiting for" on stderr, redrawn in place: only on a terminal that can
// move its cursor, never into a pipe, a log file or a TERM=dumb terminal.
#include <cstddef>
#include <string>

namespace bcvk {

// Whether TERM says the terminal cannot redraw a line (unset or "dumb").
bool dumb_terminal();

// Whether stderr is a terminal that a StatusLine draws on.
bool status_line_possible();

class StatusLine {
public:
  StatusLine() : m_active(status_line_possible()) {}
  // Erases what it drew, so the next message starts on a clean line.
  ~StatusLine() { clear(); }
  StatusLine(const StatusLine&) = delete;
  StatusLine& operator=(const StatusLine&) = delete;

  bool active() const { return m_active; }
  // Replaces the line with `text` (bcvk's own words: callers make guest or registry text safe
  // first), led by a turning bar that shows bcvk is alive, cut to the terminal's width.
  void show(const std::string& text);
  void clear();

private:
  bool m_active;
  bool m_drawn = false;
  std::size_t m_frame = 0;
};

} // namespace bcvk
