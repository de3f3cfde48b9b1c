#include <gtest/gtest.h>

#include "bcvk/util/error.hpp"
#include "bcvk/util/size.hpp"

using namespace bcvk;

TEST(ParseSize, PlainNumberIsMebibytes) {
  EXPECT_EQ(parse_size("--memory", "2048"), 2048 * k_mib);
}

TEST(ParseSize, Suffixes) {
  EXPECT_EQ(parse_size("--memory", "4G"), 4 * k_gib);
  EXPECT_EQ(parse_size("--memory", "2048M"), 2048 * k_mib);
  EXPECT_EQ(parse_size("--memory", "512k"), 512 * 1024ULL);
  EXPECT_EQ(parse_size("--memory", "1T"), k_tib);
  EXPECT_EQ(parse_size("--memory", "4GiB"), 4 * k_gib);
  EXPECT_EQ(parse_size("--memory", "4gb"), 4 * k_gib);
  EXPECT_EQ(parse_size("--memory", "3Gi"), 3 * k_gib);
}

TEST(ParseSize, Fractions) {
  EXPECT_EQ(parse_size("--memory", "1.5G"), 1536 * k_mib);
  EXPECT_EQ(parse_size("--memory", "0.5G"), 512 * k_mib);
}

TEST(ParseSize, RejectsGarbageNamingTheOption) {
  for (const char* bad : {"", "G", "4X", "4GG", "-1G", "4 G", "1..5G", ".5G", "5.G", "4Gx", "abc", "1e3"}) {
    try {
      parse_size("--memory", bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--memory: invalid size '" + std::string(bad) + "'"), std::string::npos)
          << e.what();
    }
  }
}

TEST(ParseSize, RangeCheckNamesTheLimits) {
  EXPECT_EQ(parse_size_in_range("--memory", "128M", 128 * k_mib, k_tib), 128 * k_mib);
  EXPECT_EQ(parse_size_in_range("--memory", "1T", 128 * k_mib, k_tib), k_tib);
  try {
    parse_size_in_range("--memory", "127M", 128 * k_mib, k_tib);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--memory: size '127M' is out of range: use 128 MiB to 1 TiB");
  }
  EXPECT_THROW(parse_size_in_range("--memory", "1025G", 128 * k_mib, k_tib), UsageError);
}

TEST(FormatSize, ReadableUnits) {
  EXPECT_EQ(format_size(4 * k_gib), "4 GiB");
  EXPECT_EQ(format_size(1536 * k_mib), "1.5 GiB");
  EXPECT_EQ(format_size(512 * k_mib), "512 MiB");
  EXPECT_EQ(format_size(100), "100 B");
}
