#include "cli.h"

#include <gtest/gtest.h>

namespace leakscope {
namespace {

TEST(ArgParser, ReadsOptionsInAnyPositionAndStopsAtDashDash) {
  ArgParser parser({{"top", 'n', true}, {"quiet", 'q', false}, {"output", 'o', true}});
  std::string error;
  ASSERT_TRUE(
      parser.Parse({"a.dump", "--top=5", "-q", "-o", "out.txt", "b", "--", "--top", "x"}, &error))
      << error;
  EXPECT_EQ(parser.Value("top"), "5");
  EXPECT_TRUE(parser.Has("quiet"));
  EXPECT_EQ(parser.Value("output"), "out.txt");
  EXPECT_EQ(parser.positional(), (std::vector<std::string>{"a.dump", "b"}));
  EXPECT_EQ(parser.rest(), (std::vector<std::string>{"--top", "x"}));
}

TEST(ArgParser, RejectsUnknownOptionsAndMissingValues) {
  std::string error;
  ArgParser unknown({{"top", 0, true}});
  EXPECT_FALSE(unknown.Parse({"--bogus"}, &error));
  EXPECT_EQ(error, "unknown option --bogus");
  ArgParser missing({{"top", 0, true}});
  EXPECT_FALSE(missing.Parse({"--top"}, &error));
  EXPECT_EQ(error, "option --top needs a value");
  ArgParser flag({{"quiet", 'q', false}});
  EXPECT_FALSE(flag.Parse({"--quiet=1"}, &error));
  EXPECT_EQ(error, "option --quiet takes no value");
}

TEST(ArgParser, KeepsEveryValueOfRepeatableOptions) {
  ArgParser parser({{"debug-dir", 0, true}});
  std::string error;
  ASSERT_TRUE(parser.Parse({"--debug-dir", "a", "--debug-dir=b"}, &error));
  EXPECT_EQ(parser.Values("debug-dir"), (std::vector<std::string>{"a", "b"}));
}

TEST(ParseByteCount, AcceptsBinarySuffixesOnly) {
  uint64_t v = 0;
  EXPECT_TRUE(ParseByteCount("1", &v));
  EXPECT_EQ(v, 1u);
  EXPECT_TRUE(ParseByteCount("128K", &v));
  EXPECT_EQ(v, 131072u);
  EXPECT_TRUE(ParseByteCount("64KiB", &v));
  EXPECT_EQ(v, 65536u);
  EXPECT_TRUE(ParseByteCount("1MB", &v));
  EXPECT_EQ(v, 1u << 20);
  EXPECT_FALSE(ParseByteCount("12B", &v));
  EXPECT_TRUE(ParseByteCount("2g", &v));
  EXPECT_EQ(v, uint64_t{2} << 30);
  EXPECT_FALSE(ParseByteCount("", &v));
  EXPECT_FALSE(ParseByteCount("K", &v));
  EXPECT_FALSE(ParseByteCount("-1", &v));
  EXPECT_FALSE(ParseByteCount("12x", &v));
  EXPECT_FALSE(ParseByteCount("99999999999999999999", &v));
}

TEST(ParseDuration, ReadsUnits) {
  uint64_t ns = 0;
  EXPECT_TRUE(ParseDuration("500ms", &ns));
  EXPECT_EQ(ns, 500'000'000u);
  EXPECT_TRUE(ParseDuration("30s", &ns));
  EXPECT_EQ(ns, 30'000'000'000u);
  EXPECT_TRUE(ParseDuration("5m", &ns));
  EXPECT_EQ(ns, 300'000'000'000u);
  EXPECT_TRUE(ParseDuration("2min", &ns));
  EXPECT_EQ(ns, 120'000'000'000u);
  EXPECT_TRUE(ParseDuration("0", &ns));
  EXPECT_EQ(ns, 0u);
  EXPECT_FALSE(ParseDuration("5 m", &ns));
  EXPECT_FALSE(ParseDuration("ms", &ns));
  EXPECT_FALSE(ParseDuration("1.5s", &ns));
}

}  // namespace
}  // namespace leakscope
