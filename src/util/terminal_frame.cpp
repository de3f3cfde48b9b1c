#include "bcvk/util/terminal_frame.hpp"

#include <sys/ioctl.h>

#include <algorithm>

namespace bcvk {

TerminalSize terminal_size_of(int fd) {
  winsize ws{};
  TerminalSize size;
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0) {
    size.columns = ws.ws_col > 8 ? ws.ws_col : size.columns;
    size.rows = ws.ws_row > 2 ? ws.ws_row : size.rows;
  }
  return size;
}

std::size_t frame_lines(const std::string& frame, const TerminalSize& size) {
  const auto lines = static_cast<std::size_t>(std::count(frame.begin(), frame.end(), '\n'));
  return std::min(lines, size.rows > 1 ? size.rows - 1 : 1);
}

std::string frame_update(std::size_t previous_lines, const std::string& frame, const TerminalSize& size) {
  const std::size_t columns = size.columns > 1 ? size.columns - 1 : 1;
  std::string out;
  if (previous_lines > 0) {
    out += "\033[" + std::to_string(previous_lines) + "F"; // to column 1, that many lines up
  }
  std::size_t pos = 0;
  for (std::size_t drawn = 0; pos < frame.size() && drawn < frame_lines(frame, size); ++drawn) {
    const std::size_t eol = std::min(frame.find('\n', pos), frame.size());
    out += frame.substr(pos, std::min(eol - pos, columns));
    out += "\033[K\n";
    pos = eol + 1;
  }
  out += "\033[J";
  return out;
}

} // namespace bcvk
