// SPDX-License-Identifier: Apache-2.0
// LEAKSCOPE_MAX_DUMPS: which dumps stay when a long series meets the cap.
#include "core/dump_retention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace leakscope::recorder {
namespace {

// What the dumper does for every dump: make room, then publish.
std::vector<uint64_t> KeptAfter(uint64_t max, uint64_t dumps) {
  DumpRetention retention(max);
  for (uint64_t seq = 0; seq < dumps; ++seq) {
    uint64_t old;
    while (retention.Full() && retention.LeastNeeded(&old)) retention.Removed(old);
    retention.Published(seq);
  }
  return retention.kept();
}

TEST(DumpRetention, KeepsEverythingUnderTheCap) {
  EXPECT_EQ(KeptAfter(4, 4), (std::vector<uint64_t>{0, 1, 2, 3}));
}

TEST(DumpRetention, ThinsTheMiddleAndKeepsBothEnds) {
  // 0..3 kept; 4 removes 1, 5 removes 3, 6 removes 5: every other one, the first stays.
  EXPECT_EQ(KeptAfter(4, 7), (std::vector<uint64_t>{0, 2, 4, 6}));
  // Then the multiples of 2 that are not of 4: 7 removes 2, 8 removes 7 (odd), 9 removes 6.
  EXPECT_EQ(KeptAfter(4, 10), (std::vector<uint64_t>{0, 4, 8, 9}));
}

TEST(DumpRetention, TwoKeepTheFirstAndTheNewest) {
  EXPECT_EQ(KeptAfter(2, 50), (std::vector<uint64_t>{0, 49}));
}

// Over long runs: never above the cap, the first and the newest always there, and the kept dumps
// evenly spread over the whole span (gaps within a factor of two of each other, the newest's
// own gap aside, which is whatever the series has reached).
TEST(DumpRetention, LongSeriesStayEvenlySpreadOverTheWholeSpan) {
  for (uint64_t max : {3u, 16u, 256u}) {
    for (uint64_t dumps : {max + 1, 3 * max, 1000 * max + 7}) {
      SCOPED_TRACE("max " + std::to_string(max) + ", dumps " + std::to_string(dumps));
      std::vector<uint64_t> kept = KeptAfter(max, dumps);
      ASSERT_EQ(kept.size(), max);
      EXPECT_EQ(kept.front(), 0u);
      EXPECT_EQ(kept.back(), dumps - 1);
      ASSERT_TRUE(std::is_sorted(kept.begin(), kept.end()));
      uint64_t smallest = ~0ull, largest = 0;
      for (size_t i = 1; i + 1 < kept.size(); ++i) {
        smallest = std::min(smallest, kept[i] - kept[i - 1]);
        largest = std::max(largest, kept[i] - kept[i - 1]);
      }
      if (kept.size() > 2) EXPECT_LE(largest, 2 * smallest);
      // Spread over the span: the kept dumps reach at least half-way between any two.
      EXPECT_LE(largest, 4 * (dumps - 1) / (max - 1) + 1);
    }
  }
}

TEST(DumpRetention, ADumpRemovedByTheUserIsForgotten) {
  DumpRetention retention(3);
  retention.Published(0);
  retention.Published(1);
  retention.Published(2);
  retention.Removed(1);
  EXPECT_FALSE(retention.Full()) << "there is room again";
  retention.Removed(7);  // never kept: nothing happens
  EXPECT_EQ(retention.kept(), (std::vector<uint64_t>{0, 2}));
}

}  // namespace
}  // namespace leakscope::recorder
