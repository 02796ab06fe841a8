#include "core/age_summary.h"

#include <gtest/gtest.h>

#include <vector>

namespace leakscope::recorder {
namespace {

TEST(AgeSummary, AgesNeverGoNegative) {
  EXPECT_EQ(AgeAt(100, 40), 60u);
  EXPECT_EQ(AgeAt(100, 100), 0u);
  EXPECT_EQ(AgeAt(100, 101), 0u);  // born after the dump read the clock
}

// Two sites interleaved as a scan of the live table meets them; each site's figures come from
// its own samples only, weighted by bytes.
TEST(AgeSummary, BytesWeightedMedianOldestAndThresholdsPerSite) {
  BulkVector<AgedSample> samples = {
      {7, 5, 100},   {9, 90000, 1}, {7, 7200, 300}, {9, 0, 10},
      {7, 700, 100}, {7, 61, 50},   {9, 3600, 2},
  };
  SortAgedSamples(&samples);
  std::span<const AgedSample> all(samples);
  EXPECT_TRUE(SamplesOfStack(all, 8).empty());

  // Site 7: 550 bytes; by age 5 (100), 61 (50), 700 (100), 7200 (300). Up to 700 s old they
  // hold 250 bytes, under half (275); the 300 bytes aged 7200 s hold the middle.
  format::SiteAgesFixed a = SummarizeAges(SamplesOfStack(all, 7));
  EXPECT_EQ(a.median_age_s, 7200u);
  EXPECT_EQ(a.oldest_age_s, 7200u);
  EXPECT_EQ(a.older_than_est_bytes[0], 450u);  // >= 1 min: 61, 700, 7200
  EXPECT_EQ(a.older_than_est_bytes[1], 400u);  // >= 10 min: 700, 7200
  EXPECT_EQ(a.older_than_est_bytes[2], 300u);  // >= 1 h: 7200
  EXPECT_EQ(a.older_than_est_bytes[3], 0u);    // >= 1 day: none

  // Site 9: 13 bytes, 10 of them new: the median is 0 although the oldest is a day old.
  format::SiteAgesFixed b = SummarizeAges(SamplesOfStack(all, 9));
  EXPECT_EQ(b.median_age_s, 0u);
  EXPECT_EQ(b.oldest_age_s, 90000u);
  EXPECT_EQ(b.older_than_est_bytes[0], 3u);
  EXPECT_EQ(b.older_than_est_bytes[1], 3u);
  EXPECT_EQ(b.older_than_est_bytes[2], 3u);  // 3600 s is at least an hour
  EXPECT_EQ(b.older_than_est_bytes[3], 1u);
}

TEST(AgeSummary, MedianAtExactlyHalfTakesTheYoungerAge) {
  BulkVector<AgedSample> samples = {{1, 10, 50}, {1, 20, 50}};
  SortAgedSamples(&samples);
  EXPECT_EQ(SummarizeAges(samples).median_age_s, 10u);
}

TEST(AgeSummary, EmptyRunIsAllZero) {
  format::SiteAgesFixed a = SummarizeAges({});
  EXPECT_EQ(a.median_age_s, 0u);
  EXPECT_EQ(a.oldest_age_s, 0u);
  for (uint64_t bytes : a.older_than_est_bytes) EXPECT_EQ(bytes, 0u);
}

}  // namespace
}  // namespace leakscope::recorder
