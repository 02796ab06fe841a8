#include "cli/cli.h"

#include <gtest/gtest.h>

namespace leakscope::analyzer {
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

// run and spark-conf check the recorder's values with the recorder's own parser
// (common/option_values.h), plus the recorder's limits.
TEST(CheckRecorderValues, AcceptWhatTheRecorderAccepts) {
  std::string error;
  for (const char* good : {"0", "100ms", "30s", "5m", "2min", "1h", "90"}) {
    EXPECT_TRUE(CheckRecorderInterval(good, &error)) << good;
  }
  for (const char* bad : {"50ms", "1.5s", "5 m", "", "soon"}) {
    EXPECT_FALSE(CheckRecorderInterval(bad, &error)) << bad;
    EXPECT_NE(error.find(bad), std::string::npos) << error;
  }
  for (const char* good : {"1", "128K", "64KiB", "1MB", "1024G"}) {
    EXPECT_TRUE(CheckRecorderSampleBytes(good, &error)) << good;
  }
  for (const char* bad : {"0", "12B", "1.5M", "2048G", "-1"}) {
    EXPECT_FALSE(CheckRecorderSampleBytes(bad, &error)) << bad;
  }
}

}  // namespace
}  // namespace leakscope::analyzer
