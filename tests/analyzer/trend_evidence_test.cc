// SPDX-License-Identifier: Apache-2.0
// Leak evidence at default sampling: the statistics of growth_evidence.h, and trend's suspects on
// sampled series shaped like the ones that fooled the shape rules (a slow leak's step function, a
// cache that drifts up on a few samples or fills and turns over).
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/dump_discovery.h"
#include "analysis/growth_evidence.h"
#include "analysis/trend.h"
#include "output/format_trend.h"
#include "temp_dir.h"
#include "test_dump_builder.h"

namespace leakscope::analyzer {
namespace {

constexpr uint64_t kMean = 131072;  // the default LEAKSCOPE_SAMPLE_BYTES

TEST(GrowthEvidence, BinomialTailsMatchExactValues) {
  EXPECT_DOUBLE_EQ(BinomialHalfLowerTail(0, 5), 1.0 / 32);
  EXPECT_NEAR(BinomialHalfLowerTail(7, 22), 0.0669003, 1e-6);
  EXPECT_NEAR(BinomialLowerTail(3, 10, 0.3), 0.6496107, 1e-6);
  EXPECT_EQ(BinomialHalfLowerTail(5, 5), 1.0);
  // Beyond the exact sums, the normal approximation: Bin(1000, 1/2) <= 480 is 0.1087.
  EXPECT_NEAR(BinomialHalfLowerTail(480, 1000), 0.1087, 2e-3);
}

TEST(GrowthEvidence, ConfidenceBoundsMatchClopperPearsonAndPoisson) {
  EXPECT_NEAR(SuccessChanceLow(5, 5, 0.05), std::pow(0.05, 1.0 / 5), 1e-9);
  EXPECT_NEAR(SuccessChanceHigh(0, 5, 0.05), 1 - std::pow(0.05, 1.0 / 5), 1e-9);
  EXPECT_NEAR(SuccessChanceLow(3, 10, 0.05), 0.0872644, 1e-6);
  EXPECT_NEAR(SuccessChanceHigh(3, 10, 0.05), 0.6066242, 1e-6);
  EXPECT_NEAR(PoissonMeanHigh(0, 0.05), -std::log(0.05), 1e-9);
  EXPECT_NEAR(PoissonMeanHigh(5, 0.05), 10.5130, 1e-3);
}

SampleEvents Events(uint64_t births, uint64_t deaths, uint64_t late_births, uint64_t late_deaths) {
  return SampleEvents{.births = births,
                      .deaths = deaths,
                      .late_births = late_births,
                      .late_deaths = late_deaths,
                      .birth_est_bytes = double(births * kMean),
                      .death_est_bytes = double(deaths * kMean)};
}

TEST(GrowthEvidence, FiveSamplesNeverFreedAreSignificantAndTheBoundsSayGrowth) {
  GrowthEvidence g = WeighGrowth(Events(5, 0, 2, 0), kMean);
  EXPECT_EQ(g.verdict, GrowthVerdict::kSignificant);
  EXPECT_EQ(g.samples, 5u);
  EXPECT_DOUBLE_EQ(g.p_value, 1.0 / 32);
  EXPECT_DOUBLE_EQ(g.growth_bytes, 5.0 * kMean);
  EXPECT_GT(g.growth_low_bytes, 0);  // exactly when p <= 0.05
  EXPECT_GT(g.growth_high_bytes, g.growth_bytes);
}

TEST(GrowthEvidence, FourSamplesAreNotEnoughAndHalvingTheIntervalWouldSettleIt) {
  GrowthEvidence g = WeighGrowth(Events(4, 0, 1, 0), kMean);
  EXPECT_EQ(g.verdict, GrowthVerdict::kPossible);
  EXPECT_DOUBLE_EQ(g.p_value, 1.0 / 16);
  EXPECT_LT(g.growth_low_bytes, 0);
  EXPECT_FALSE(g.stopped);
  EXPECT_EQ(g.settling_sample_bytes, kMean / 2);
  EXPECT_EQ(g.samples_needed, 8u);
  // One sample: 2^-5 needs five, so a quarter of the interval (about four).
  EXPECT_EQ(WeighGrowth(Events(1, 0, 0, 0), kMean).settling_sample_bytes, kMean / 8);
}

TEST(GrowthEvidence, GrowthThatStopsInTheSecondHalfIsACacheThatFilled) {
  GrowthEvidence g = WeighGrowth(Events(15, 7, 7, 7), kMean);
  EXPECT_EQ(g.verdict, GrowthVerdict::kPossible);
  EXPECT_TRUE(g.stopped);
  EXPECT_EQ(g.settling_sample_bytes, 0u);
  // The same counts, still growing in the second half at p <= 0.01: a leak beside turnover.
  EXPECT_EQ(WeighGrowth(Events(60, 20, 30, 5), kMean).verdict, GrowthVerdict::kSignificant);
  // ...but not at 0.05 only (a cache finishing its fill just past the middle).
  EXPECT_EQ(WeighGrowth(Events(60, 20, 15, 7), kMean).verdict, GrowthVerdict::kPossible);
}

TEST(GrowthEvidence, ChurnThatTurnoverExplainsIsNoGrowth) {
  EXPECT_EQ(WeighGrowth(Events(1527, 1520, 760, 758), kMean).verdict, GrowthVerdict::kNone);
  EXPECT_EQ(WeighGrowth(Events(10, 10, 5, 5), kMean).verdict, GrowthVerdict::kNone);
  EXPECT_EQ(WeighGrowth(Events(0, 0, 0, 0), kMean).verdict, GrowthVerdict::kNone);
}

// Sampled series: each site is given its cumulative sampled births and deaths at every dump;
// every sample stands for kMean bytes (allocations of 4 KiB).
class SampledTrendTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kBase = 0x7f0000000000;
  static constexpr uint64_t kBlock = 4096;

  struct Counts {
    uint64_t births, deaths;
  };

  void Write(int64_t pid, uint64_t seq, const std::vector<std::pair<uint32_t, Counts>>& sites) {
    Dump dump;
    dump.process.executable = "/usr/lib/jvm/bin/java";
    dump.process.fixed.pid = pid;
    dump.process.fixed.instance_id = 1000 + pid;
    dump.process.fixed.seq = seq;
    dump.process.fixed.time_monotonic_ns = int64_t(seq) * 10'000'000'000;  // a batch: 10 s
    dump.settings.sample_bytes = kMean;
    testing::AddModule(&dump, "/nonexistent/app", kBase, 0x100000, /*id=*/0);
    for (const auto& [id, c] : sites) {
      // Eight frames: the caller (the innermost here) and seven callers of it.
      std::vector<uint64_t> pcs = {kBase + id * 0x1000};
      for (uint64_t f = 1; f < 8; ++f) pcs.push_back(kBase + 0x10000 + f * 0x100);
      testing::AddSite(&dump, id, pcs, {c.births, c.births * kBlock, c.deaths, c.deaths * kBlock},
                       /*bytes_factor=*/double(kMean) / kBlock);
    }
    ASSERT_FALSE(testing::WriteDumpInto(temp_.path(), dump).empty());
  }

  TrendResult Analyze() {
    std::vector<std::string> files;
    std::string error;
    EXPECT_TRUE(ExpandDumpPath(temp_.path(), &files, &error)) << error;
    SymbolizerOptions options;
    options.warnings = nullptr;
    symbolizer_ = std::make_unique<Symbolizer>(options);
    return AnalyzeTrend(files, {}, symbolizer_.get(), nullptr);
  }

  // The site id of a trend site (its innermost frame is app+0x<id>000, module-relative).
  uint32_t SiteOf(const SuspectTrend& s) {
    uint64_t address = symbolizer_->frames().Get(symbolizer_->stacks().Get(s.stack)[0]).address;
    return static_cast<uint32_t>(address / 0x1000);
  }

  testing::TempDir temp_;
  std::unique_ptr<Symbolizer> symbolizer_;
};

constexpr uint32_t kLeak = 1, kDrift = 2, kFill = 3, kWorkingSet = 4;

// 31 dumps (30 batches). The leak's 5 samples arrive at batches 3, 9, 14, 20 and 26 and are never
// freed: a step function whose robust slope is 0, missed by the shape rules. A cache node site
// drifts up on 3 samples it does not free: possible growth only. A cache fills until batch 16 and
// then turns over; a working set is freed within each batch.
TEST_F(SampledTrendTest, ASlowLeakOnFiveSamplesIsTheSuspectAndCachesAreNot) {
  const std::vector<int> leak_at = {3, 9, 14, 20, 26}, drift_at = {12, 22, 28};
  for (int batch = 0; batch <= 30; ++batch) {
    auto before = [&](const std::vector<int>& at) {
      return uint64_t(std::count_if(at.begin(), at.end(), [&](int b) { return b <= batch; }));
    };
    uint64_t fill_births = 2 * uint64_t(batch);  // 2 samples a batch
    uint64_t fill_deaths = batch > 16 ? 2 * uint64_t(batch - 16) : 0;
    Write(77, batch,
          {{kLeak, {before(leak_at), 0}},
           {kDrift, {before(drift_at), 0}},
           {kFill, {fill_births, fill_deaths}},
           {kWorkingSet, {3 * uint64_t(batch), 3 * uint64_t(batch)}}});
  }
  TrendResult r = Analyze();
  ASSERT_EQ(r.suspects.size(), 1u);
  const SuspectTrend& leak = r.suspects[0];
  EXPECT_EQ(SiteOf(leak), kLeak);
  EXPECT_TRUE(leak.sampled);
  EXPECT_EQ(leak.evidence.verdict, GrowthVerdict::kSignificant);
  EXPECT_EQ(leak.events.births, 5u);
  EXPECT_EQ(leak.events.deaths, 0u);
  EXPECT_EQ(leak.evidence.samples, 5u);
  // 5 samples of 128 KiB over 300 s: 128 KiB a minute.
  EXPECT_NEAR(leak.growth_bytes_per_min, 131072.0, 1.0);
  // The drift (3 samples, none freed) comes first among the possible growth; the fill is listed
  // as growth that stopped.
  ASSERT_EQ(r.possible.size(), 2u);
  EXPECT_EQ(SiteOf(r.possible[0]), kDrift);
  EXPECT_EQ(r.possible[0].evidence.samples, 3u);
  EXPECT_EQ(r.possible[0].evidence.settling_sample_bytes, kMean / 2);
  EXPECT_EQ(SiteOf(r.possible[1]), kFill);
  EXPECT_TRUE(r.possible[1].evidence.stopped);

  // The text says what each figure rests on; possible growth shows its stack only to three frames
  // past the caller, suspects whole.
  std::string text;
  FormatTrendText(r, *symbolizer_, 0, /*all=*/false, &text);
  EXPECT_NE(text.find("; 5 samples: 5 new, none freed (p = 0.031)"), std::string::npos) << text;
  EXPECT_NE(text.find("?1  "), std::string::npos) << text;
  EXPECT_NE(text.find("; 3 samples: 3 new, none freed (p = 0.13)"), std::string::npos) << text;
  EXPECT_NE(text.find("about 6 samples would settle it: LEAKSCOPE_SAMPLE_BYTES=64K"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("grew, then stopped"), std::string::npos) << text;
  EXPECT_EQ(text.find("#7 app+0x10700"), text.rfind("#7 app+0x10700")) << "only the suspect's";
  EXPECT_NE(text.find("#7 app+0x10700"), std::string::npos) << text;
  EXPECT_NE(text.find("      ... 4 more frames\n"), std::string::npos) << text;
}

// A leak with 2 samples in each of 3 executors is significant only pooled: 6 samples, none freed.
TEST_F(SampledTrendTest, EvidenceFromSeveralProcessesAddsUp) {
  for (int64_t pid : {11, 12, 13}) {
    for (int batch = 0; batch <= 10; ++batch) {
      uint64_t births = uint64_t(batch >= 2) + uint64_t(batch >= 7);
      Write(pid, batch,
            {{kLeak, {births, 0}}, {kWorkingSet, {3 * uint64_t(batch), 3 * uint64_t(batch)}}});
    }
  }
  TrendResult r = Analyze();
  ASSERT_EQ(r.suspects.size(), 1u);
  EXPECT_EQ(SiteOf(r.suspects[0]), kLeak);
  EXPECT_EQ(r.suspects[0].events.births, 6u);
  EXPECT_EQ(r.suspects[0].processes, 3u);
  for (const ProcessTrend& p : r.processes) {
    for (const SiteTrend& t : p.sites) EXPECT_FALSE(t.suspect) << "2 samples alone are not enough";
  }
}

}  // namespace
}  // namespace leakscope::analyzer
