// Guest text on the operator's terminal: what stays, what goes, and that a stream cut anywhere
// renders the same as the whole.
#include <gtest/gtest.h>

#include <string>

#include "bcvk/util/terminal_text.hpp"
#include "bcvk/util/utf8.hpp"
#include "bcvk/vm/emulator_log.hpp"

using namespace bcvk;

TEST(TerminalText, PlainTextLinesAndUtf8PassUnchanged) {
  const std::string journal =
      "Dec 02 host systemd[1]: Started sshd.service \xe2\x80\x93 OpenSSH.\n\tcaf\xc3\xa9 \xf0\x9f\x90\xa7\n";
  EXPECT_EQ(terminal_safe(journal), journal);
  EXPECT_EQ(terminal_safe("line\r\n"), "line\n") << "a carriage return could rewrite the line shown";
}

TEST(TerminalText, ColoursAndCursorMovesAreDroppedWhole) {
  EXPECT_EQ(terminal_safe("\x1b[0;1;31mFAILED\x1b[0m unit\n"), "FAILED unit\n");
  EXPECT_EQ(terminal_safe("a\x1b[2J\x1b[H\x1b[?25lb"), "ab") << "clear screen, home, hide cursor";
  EXPECT_EQ(terminal_safe("x\x1b(By\x1b"
                          "7z"),
            "xyz")
      << "ESC-introduced one-character sequences";
  EXPECT_EQ(terminal_safe("a\x1b" + std::string(100, ' ') + "b"), "a?" + std::string(100 - 63, ' ') + "b")
      << "a run of intermediate bytes ends like a long CSI, and the text after it shows";
}

TEST(TerminalText, StringsThatActOnTheTerminalAreDroppedUpToTheirEnd) {
  // OSC 52 sets the clipboard; OSC 0 the title; DCS can program keys on some terminals.
  EXPECT_EQ(terminal_safe("a\x1b]52;c;Y3VybCBldmlsfHNo\x07"
                          "b"),
            "ab");
  EXPECT_EQ(terminal_safe("a\x1b]0;owned\x1b\\b"), "ab") << "ESC \\ ends a string too";
  EXPECT_EQ(terminal_safe("a\x1bP+q544e\x1b\\b\x1b_apc\x07"
                          "c"),
            "abc");
  EXPECT_EQ(terminal_safe("a\x1b]0;never ended\nnext line\n"), "a\nnext line\n")
      << "an unterminated string ends with its line, not with the rest of the log";
  EXPECT_EQ(terminal_safe("a\x1b]" + std::string(5000, 'x') + "b"), "a" + std::string(5000 + 2 - 4096, 'x') + "b")
      << "nor after 4096 bytes: the rest is text";
}

TEST(TerminalText, OtherControlsC1AndBrokenUtf8ShowAsQuestionMarks) {
  EXPECT_EQ(terminal_safe(std::string("a\x07"
                                      "b\x08"
                                      "c\x7f"
                                      "d\0e",
                                      9)),
            "a?b?c?d?e");
  EXPECT_EQ(terminal_safe("a\xc2\x9b"
                          "31mb"),
            "a?31mb")
      << "U+009B is a CSI to a terminal";
  EXPECT_EQ(terminal_safe("a\x9b"
                          "31mb"),
            "a?31mb")
      << "and so is a lone 0x9B byte";
  EXPECT_EQ(terminal_safe("a\xc3(b\xe0\x80\x80"
                          "c\xed\xa0\x80"
                          "d"),
            "a?(b???c???d")
      << "a cut sequence, an overlong and a surrogate";
  EXPECT_EQ(terminal_safe("\x1b[1;2"), "?") << "a sequence the text ends inside";
  EXPECT_EQ(terminal_safe("a\x1b[1\x01"
                          "b"),
            "a??b")
      << "a CSI broken by a control";
  EXPECT_EQ(terminal_safe("a\x1b[" + std::string(80, '1') + "mb").substr(0, 2), "a?")
      << "a CSI longer than any terminal's ends";
}

TEST(TerminalText, AsciiModeKeepsNothingElse) {
  EXPECT_EQ(terminal_safe("caf\xc3\xa9\x1b[1m.", Charset::ascii), "caf??.");
  EXPECT_EQ(terminal_safe("a\tb\nc", Charset::ascii), "a?b?c") << "one line stays one line";
}

TEST(TerminalText, AStreamCutAtEveryByteRendersLikeTheWhole) {
  const std::string text = "x\x1b[31mred\x1b[0m \x1b]52;c;AAAA\x1b\\caf\xc3\xa9 \xf0\x9f\x90\xa7\r\n\x07\xc2\x9b"
                           "1m\xff";
  const std::string whole = terminal_safe(text);
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    for (std::size_t cut2 = cut; cut2 <= text.size(); cut2 += 3) {
      TerminalFilter filter;
      std::string out = filter.feed(std::string_view(text).substr(0, cut));
      out += filter.feed(std::string_view(text).substr(cut, cut2 - cut));
      out += filter.feed(std::string_view(text).substr(cut2));
      out += filter.finish();
      EXPECT_EQ(out, whole) << "cut at " << cut << " and " << cut2;
    }
  }
}

TEST(TerminalText, Utf8SequenceLengths) {
  EXPECT_EQ(utf8_sequence_length("a", 0), 1u);
  EXPECT_EQ(utf8_sequence_length("\xc3\xa9", 0), 2u);
  EXPECT_EQ(utf8_sequence_length("\xf4\x8f\xbf\xbf", 0), 4u);
  EXPECT_EQ(utf8_sequence_length("\xf4\x90\x80\x80", 0), 0u) << "above U+10FFFF";
  EXPECT_EQ(utf8_sequence_length("\xe2\x82", 0), 0u) << "cut short";
  EXPECT_EQ(utf8_sequence_length("\xc0\xaf", 0), 0u) << "overlong";
}

TEST(VirtiofsdLogs, OnlyTheVmsOwnLogsMatch) {
  EXPECT_TRUE(is_virtiofsd_log_of("a-fs0-virtiofsd.log", "a"));
  EXPECT_TRUE(is_virtiofsd_log_of("a-fs12-virtiofsd.log", "a"));
  EXPECT_FALSE(is_virtiofsd_log_of("a-fsx-fs0-virtiofsd.log", "a")) << "VM a-fsx's";
  EXPECT_FALSE(is_virtiofsd_log_of("a-fs1-fs0-virtiofsd.log", "a")) << "VM a-fs1's";
  EXPECT_FALSE(is_virtiofsd_log_of("a-fs-virtiofsd.log", "a"));
  EXPECT_FALSE(is_virtiofsd_log_of("a.log", "a"));
  EXPECT_FALSE(is_virtiofsd_log_of("ab-fs0-virtiofsd.log", "a"));
  EXPECT_FALSE(is_virtiofsd_log_of("-virtiofsd.log", "-virtiofsd.log"));
}

// How a log's or a program's lines are read: blank lines and line ends do not count.
TEST(TextLines, NonEmptyLinesAndTheFirstOfThem) {
  EXPECT_EQ(non_empty_lines("a \r\n\n  \nb\n"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_TRUE(non_empty_lines("\n\r\n").empty());
  EXPECT_EQ(first_line("\n/var/lib/containers/x/merged\r\n"), "/var/lib/containers/x/merged");
  EXPECT_EQ(first_line("podman version 4.3.1\nmore"), "podman version 4.3.1");
  EXPECT_EQ(first_line(""), "");
}
