#include "options.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace leakscope {
namespace {

TEST(Options, ParsesSizesWithBinarySuffixes) {
  uint64_t v = 0;
  EXPECT_TRUE(ParseSize("4096", &v));
  EXPECT_EQ(v, 4096u);
  EXPECT_TRUE(ParseSize("64K", &v));
  EXPECT_EQ(v, 65536u);
  EXPECT_TRUE(ParseSize("512KiB", &v));
  EXPECT_EQ(v, 512u << 10);
  EXPECT_TRUE(ParseSize("2g", &v));
  EXPECT_EQ(v, 2ull << 30);
  v = 9;
  for (const char* bad : {"", "abc", "-1", "12X", "1.5M", "99999999999999999999999"}) {
    EXPECT_FALSE(ParseSize(bad, &v)) << bad;
    EXPECT_EQ(v, 9u) << bad;
  }
}

TEST(Options, ParsesDurations) {
  uint64_t ns = 0;
  EXPECT_TRUE(ParseDuration("500ms", &ns));
  EXPECT_EQ(ns, 500'000'000u);
  EXPECT_TRUE(ParseDuration("30s", &ns));
  EXPECT_EQ(ns, 30'000'000'000u);
  EXPECT_TRUE(ParseDuration("5m", &ns));
  EXPECT_EQ(ns, 300'000'000'000u);
  EXPECT_TRUE(ParseDuration("0", &ns));
  EXPECT_EQ(ns, 0u);
  EXPECT_TRUE(ParseDuration("2", &ns));
  EXPECT_EQ(ns, 2'000'000'000u);
  EXPECT_FALSE(ParseDuration("5 minutes", &ns));
  EXPECT_FALSE(ParseDuration("ms", &ns));
}

TEST(Options, ParsesBooleans) {
  bool b = false;
  EXPECT_TRUE(ParseBool("on", &b));
  EXPECT_TRUE(b);
  EXPECT_TRUE(ParseBool("FALSE", &b));
  EXPECT_FALSE(b);
  EXPECT_FALSE(ParseBool("maybe", &b));
}

TEST(Options, BadValuesKeepDefaults) {
  setenv("LEAKSCOPE_SAMPLE_BYTES", "lots", 1);
  setenv("LEAKSCOPE_INTERVAL", "10ms", 1);  // below the 100 ms floor
  setenv("LEAKSCOPE_DEPTH", "100000", 1);
  setenv("LEAKSCOPE_MAX_LIVE", "1M", 1);
  Options o = LoadOptions();
  EXPECT_EQ(o.sample_bytes, Options{}.sample_bytes);
  EXPECT_EQ(o.interval_ns, Options{}.interval_ns);
  EXPECT_EQ(o.depth, Options{}.depth);
  EXPECT_EQ(o.max_live, 1u << 20);
  unsetenv("LEAKSCOPE_SAMPLE_BYTES");
  unsetenv("LEAKSCOPE_INTERVAL");
  unsetenv("LEAKSCOPE_DEPTH");
  unsetenv("LEAKSCOPE_MAX_LIVE");
}

}  // namespace
}  // namespace leakscope
