#pragma once
// Text the guest wrote (its journal, its console, messages quoting either), made harmless for the
// operator's terminal: escape sequences could otherwise set the clipboard (OSC 52), retitle the
// window, ask the terminal to answer (reports typed back as input), or hide and rewrite lines.
//
// What is kept: printable text, '\n' and '\t' (in Charset::utf8; one-line ASCII text shows them as
// '?'). Colour and cursor sequences (CSI: ESC '[' ... final
// byte) and ESC-introduced one-character sequences are dropped whole, so a coloured console reads
// as plain text; strings (OSC, DCS, SOS, PM, APC) are dropped up to their terminator (BEL or
// ESC '\'), the end of the line, or 4096 bytes. '\r' is dropped. Every other control byte, C1
// controls, and bytes that are not well-formed UTF-8 become '?'.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bcvk {

enum class Charset {
  utf8,  // well-formed UTF-8 other than C1 controls is kept (logs)
  ascii, // every byte outside printable ASCII becomes '?' (one-line messages of bcvk's own)
};

// The filter for a stream: a sequence cut between two chunks is held until the next one.
class TerminalFilter {
public:
  explicit TerminalFilter(Charset charset = Charset::utf8) : m_charset(charset) {}
  // The safe rendering of `bytes`, which continue what earlier calls were given.
  std::string feed(std::string_view bytes);
  // The end of the stream: what is still held, rendered ('?' for a cut sequence).
  std::string finish();

private:
  enum class State { text, escape, csi, string };
  void text_byte(unsigned char c, std::string& out);
  void utf8_byte(unsigned char c, std::string& out);
  void abandon_sequence(unsigned char c, std::string& out);

  Charset m_charset;
  State m_state = State::text;
  std::size_t m_sequence_bytes = 0; // of the escape sequence or string being dropped
  std::string m_utf8;               // a multi-byte character begun but not complete
};

// How guest text reaches an output: as it is (a pipe, a file, or a terminal the user asked to be a
// real one with -t), or through a TerminalFilter (any other terminal).
enum class GuestOutput { raw, filtered };

// The safe rendering of a whole text.
// The lines of `text` that hold anything, each without its line end or trailing blanks ("\r", ' '):
// how a log's lines are read for what they say (pure).
std::vector<std::string_view> non_empty_lines(std::string_view text);

// The first of those, or "" when there is none: what one line of a program's output says (pure).
std::string first_line(std::string_view text);

std::string terminal_safe(std::string_view text, Charset charset = Charset::utf8);

} // namespace bcvk
