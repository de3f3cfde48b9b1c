// What the user sees of a failure: one line naming it, then its details, all safe for a terminal.
#include <gtest/gtest.h>

#include <stdexcept>

#include "bcvk/util/error.hpp"
#include "bcvk/verbs/error_report.hpp"

using namespace bcvk;

TEST(ErrorReport, TheMessageIsOneLineEvenWhenItQuotesNewlines) {
  EXPECT_EQ(error_report(Error("bad name 'a\nb'")), "bcvk: error: bad name 'a\\x0ab'\n");
  EXPECT_EQ(error_report(std::runtime_error("plain \x1b[2J")), "bcvk: error: plain \\x1b[2J\n");
}

TEST(ErrorReport, DetailsFollowAsLinesOfTheirOwnWithoutControlCharacters) {
  const Error e("SSH did not come up", "likely cause: Kernel panic\nlast lines:\n  \x1b]0;evil\x07 text");
  EXPECT_EQ(error_report(e),
            "bcvk: error: SSH did not come up\nlikely cause: Kernel panic\nlast lines:\n  \\x1b]0;evil\\x07 text\n");
  EXPECT_EQ(error_report(Error("m", "trailing\n")), "bcvk: error: m\ntrailing\n");
}
