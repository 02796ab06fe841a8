// SPDX-License-Identifier: Apache-2.0
// The value spellings the recorder and the analyzer share (common/option_values.h).
#include "option_values.h"

#include <gtest/gtest.h>

namespace leakscope {
namespace {

TEST(OptionValues, SizesTakeBinarySuffixes) {
  uint64_t v = 0;
  EXPECT_TRUE(ParseSize("4096", &v));
  EXPECT_EQ(v, 4096u);
  EXPECT_TRUE(ParseSize("64K", &v));
  EXPECT_EQ(v, 65536u);
  EXPECT_TRUE(ParseSize("512KiB", &v));
  EXPECT_EQ(v, 512u << 10);
  EXPECT_TRUE(ParseSize("1MB", &v));
  EXPECT_EQ(v, 1u << 20);
  EXPECT_TRUE(ParseSize("2g", &v));
  EXPECT_EQ(v, 2ull << 30);
  v = 9;
  for (const char* bad : {"", "abc", "K", "-1", "+1", " 1", "1 ", "12B", "12X", "1.5M", "64iB",
                          "99999999999999999999", "17179869184G"}) {
    EXPECT_FALSE(ParseSize(bad, &v)) << bad;
    EXPECT_EQ(v, 9u) << bad;
  }
}

TEST(OptionValues, DurationsTakeUnits) {
  uint64_t ns = 0;
  EXPECT_TRUE(ParseDuration("500ms", &ns));
  EXPECT_EQ(ns, 500'000'000u);
  EXPECT_TRUE(ParseDuration("30s", &ns));
  EXPECT_EQ(ns, 30'000'000'000u);
  EXPECT_TRUE(ParseDuration("5m", &ns));
  EXPECT_EQ(ns, 300'000'000'000u);
  EXPECT_TRUE(ParseDuration("2min", &ns));
  EXPECT_EQ(ns, 120'000'000'000u);
  EXPECT_TRUE(ParseDuration("1h", &ns));
  EXPECT_EQ(ns, 3'600'000'000'000u);
  EXPECT_TRUE(ParseDuration("0", &ns));
  EXPECT_EQ(ns, 0u);
  EXPECT_TRUE(ParseDuration("2", &ns));
  EXPECT_EQ(ns, 2'000'000'000u);
  ns = 7;
  for (const char* bad : {"", "ms", "5 m", "5 minutes", "1.5s", "-1s", "10d", "99999999999h"}) {
    EXPECT_FALSE(ParseDuration(bad, &ns)) << bad;
    EXPECT_EQ(ns, 7u) << bad;
  }
}

TEST(OptionValues, BooleansInAnyCase) {
  bool b = false;
  EXPECT_TRUE(ParseBool("on", &b));
  EXPECT_TRUE(b);
  EXPECT_TRUE(ParseBool("FALSE", &b));
  EXPECT_FALSE(b);
  EXPECT_TRUE(ParseBool("Yes", &b));
  EXPECT_TRUE(b);
  EXPECT_FALSE(ParseBool("maybe", &b));
  EXPECT_FALSE(ParseBool("", &b));
  EXPECT_TRUE(b);
}

}  // namespace
}  // namespace leakscope
