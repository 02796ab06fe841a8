// SPDX-License-Identifier: Apache-2.0
#include "core/options.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace leakscope::recorder {
namespace {

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

TEST(Options, MaxDumpsTakesACountOfAtLeastTwo) {
  EXPECT_EQ(LoadOptions().max_dumps, 256u);
  setenv("LEAKSCOPE_MAX_DUMPS", "1K", 1);
  EXPECT_EQ(LoadOptions().max_dumps, 1024u);
  for (const char* bad : {"1", "0", "-3", "many", "", "2000000"}) {
    setenv("LEAKSCOPE_MAX_DUMPS", bad, 1);
    EXPECT_EQ(LoadOptions().max_dumps, 256u) << bad;
  }
  unsetenv("LEAKSCOPE_MAX_DUMPS");
}

}  // namespace
}  // namespace leakscope::recorder
