#include "bcvk/util/terminal_text.hpp"

#include "bcvk/util/utf8.hpp"

namespace bcvk {
namespace {

constexpr unsigned char k_esc = 0x1b;
constexpr unsigned char k_bel = 0x07;
// A CSI longer than this is no sequence a terminal knows: it ends and shows as '?'.
constexpr std::size_t k_max_csi_bytes = 64;
// A string this long without its terminator is taken to have lost it: what follows is text again.
constexpr std::size_t k_max_string_bytes = 4096;

bool is_intermediate(unsigned char c) {
  return c >= 0x20 && c <= 0x2f;
}
bool is_csi_parameter_or_intermediate(unsigned char c) {
  return c >= 0x20 && c <= 0x3f;
}
bool is_final(unsigned char c) {
  return c >= 0x40 && c <= 0x7e;
}
bool starts_string(unsigned char c) {
  return c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_';
}

} // namespace

void TerminalFilter::utf8_byte(unsigned char c, std::string& out) {
  if (m_utf8.empty()) {
    if (m_charset == Charset::ascii || utf8_expected_length(c) == 0) {
      out += '?';
      return;
    }
    m_utf8.push_back(static_cast<char>(c));
    return;
  }
  m_utf8.push_back(static_cast<char>(c));
  const std::size_t expected = utf8_expected_length(static_cast<unsigned char>(m_utf8[0]));
  if (m_utf8.size() < expected && (c & 0xc0) == 0x80) {
    return; // more to come
  }
  std::string held;
  held.swap(m_utf8);
  const std::size_t len = utf8_sequence_length(held, 0);
  if (len == held.size()) {
    out += is_c1_control(held) ? std::string("?") : held;
    return;
  }
  // Not well formed: the lead byte shows as '?' and the bytes after it are read afresh.
  out += '?';
  for (std::size_t i = 1; i < held.size(); ++i) {
    text_byte(static_cast<unsigned char>(held[i]), out);
  }
}

void TerminalFilter::text_byte(unsigned char c, std::string& out) {
  if (!m_utf8.empty()) {
    utf8_byte(c, out);
    return;
  }
  if (c == '\n' || c == '\t') {
    out += m_charset == Charset::ascii ? '?' : static_cast<char>(c); // one-line text stays one line
  } else if (c == '\r') {
    // dropped: a bare carriage return lets later text overwrite what a line said
  } else if (c == k_esc) {
    m_state = State::escape;
    m_sequence_bytes = 1;
  } else if (is_ascii_control(c)) {
    out += '?';
  } else if (c < 0x80) {
    out += static_cast<char>(c);
  } else {
    utf8_byte(c, out);
  }
}

void TerminalFilter::abandon_sequence(unsigned char c, std::string& out) {
  out += '?'; // a sequence no terminal would finish: shown, and `c` read as text again
  m_state = State::text;
  text_byte(c, out);
}

std::string TerminalFilter::feed(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    switch (m_state) {
    case State::text:
      text_byte(c, out);
      break;
    case State::escape:
      ++m_sequence_bytes;
      if (c == '[') {
        m_state = State::csi;
      } else if (starts_string(c)) {
        m_state = State::string;
      } else if (is_intermediate(c) && m_sequence_bytes <= k_max_csi_bytes) {
        // ESC ( B and the like: the final byte ends it
      } else if (c >= 0x30 && c <= 0x7e) {
        m_state = State::text;
      } else {
        abandon_sequence(c, out);
      }
      break;
    case State::csi:
      ++m_sequence_bytes;
      if (is_final(c)) {
        m_state = State::text;
      } else if (!is_csi_parameter_or_intermediate(c) || m_sequence_bytes > k_max_csi_bytes) {
        abandon_sequence(c, out);
      }
      break;
    case State::string:
      ++m_sequence_bytes;
      if (c == k_bel) {
        m_state = State::text;
      } else if (c == k_esc) {
        m_state = State::escape; // ESC '\' (the terminator) or the next sequence
        m_sequence_bytes = 1;
      } else if (c == '\n' || m_sequence_bytes > k_max_string_bytes) {
        m_state = State::text;
        text_byte(c, out);
      }
      break;
    }
  }
  return out;
}

std::string TerminalFilter::finish() {
  std::string out;
  if (!m_utf8.empty() || m_state == State::escape || m_state == State::csi) {
    out += '?';
  }
  m_utf8.clear();
  m_state = State::text;
  return out;
}

std::string terminal_safe(std::string_view text, Charset charset) {
  TerminalFilter filter(charset);
  std::string out = filter.feed(text);
  return out + filter.finish();
}

std::string first_line(std::string_view text) {
  const auto lines = non_empty_lines(text);
  return lines.empty() ? std::string() : std::string(lines.front());
}

std::vector<std::string_view> non_empty_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    auto line = text.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
      line.remove_suffix(1);
    }
    if (!line.empty()) {
      lines.push_back(line);
    }
    start = end + 1;
  }
  return lines;
}

} // namespace bcvk
