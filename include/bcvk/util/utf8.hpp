#pragma once
// The pieces of UTF-8 that decide whether text is safe to show: sequence boundaries and the
// control characters terminals act on.
#include <cstddef>
#include <string_view>

namespace bcvk {

// C0 controls and DEL.
constexpr bool is_ascii_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

// U+0080..U+009F, encoded as C2 80..C2 9F: terminals act on some of them (U+009B starts a CSI).
constexpr bool is_c1_control(std::string_view sequence) {
  return sequence.size() == 2 && static_cast<unsigned char>(sequence[0]) == 0xc2 &&
         static_cast<unsigned char>(sequence[1]) < 0xa0;
}

// Length of the well-formed UTF-8 sequence starting at `i`, or 0 when there is none (overlongs,
// surrogates, code points above U+10FFFF and sequences cut short by the end of `s` included).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

// How long the sequence that the lead byte `c` starts is meant to be (1 for ASCII), 0 for a byte
// that starts none. Lets a reader of a stream know how much of a sequence cut by a chunk to hold.
std::size_t utf8_expected_length(unsigned char c);

} // namespace bcvk
