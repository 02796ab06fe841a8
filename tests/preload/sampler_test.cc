// SPDX-License-Identifier: Apache-2.0
#include "core/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <utility>

namespace leakscope::recorder {
namespace {

TEST(Sampler, MeanIntervalMatchesConfiguredBytes) {
  Sampler sampler(4096);
  uint64_t rng = Sampler::Seed(42);
  double sum = 0;
  constexpr int kDraws = 1'000'000;
  for (int i = 0; i < kDraws; ++i) sum += static_cast<double>(sampler.NextInterval(&rng));
  EXPECT_NEAR(sum / kDraws, 4096.0, 4096.0 * 0.01);
}

// Drives the sampler exactly as the malloc hook does (count down, sample the allocation that
// reaches zero, weight it) over a mixed workload; the weighted sum must converge on the truth.
// Also estimates the number of allocations (count_x256 / 256) into *estimated_count.
double EstimateTotal(uint64_t mean, uint64_t seed, uint64_t* true_total, uint64_t* samples,
                     double* estimated_count = nullptr) {
  Sampler sampler(mean);
  uint64_t rng = Sampler::Seed(seed);
  std::mt19937_64 sizes(seed);
  std::uniform_int_distribution<int> pick(0, 99);
  uint64_t countdown = sampler.NextInterval(&rng);
  double estimate = 0;
  *true_total = 0;
  *samples = 0;
  for (int i = 0; i < 2'000'000; ++i) {
    int r = pick(sizes);
    uint64_t size = r < 70 ? 16 + r : r < 95 ? 4000 + 10 * r : 1 << 20;  // small, medium, huge
    *true_total += size;
    if (size < countdown) {
      countdown -= size;
    } else {
      Sampler::Weights weights = sampler.Weigh(size);
      estimate += static_cast<double>(weights.bytes);
      if (estimated_count != nullptr) *estimated_count += weights.count_x256 / 256.0;
      ++*samples;
      countdown = sampler.NextInterval(&rng);
    }
  }
  return estimate;
}

TEST(Sampler, WeightedSamplesEstimateTotalBytesWithoutBias) {
  for (uint64_t seed : {1, 2, 3}) {
    uint64_t truth, samples;
    double estimate = EstimateTotal(128 << 10, seed, &truth, &samples);
    EXPECT_NEAR(estimate / static_cast<double>(truth), 1.0, 0.02) << "seed " << seed;
    // Far fewer samples than allocations: the sampler really samples.
    EXPECT_LT(samples, 2'000'000u / 10);
  }
}

TEST(Sampler, WeightedSamplesEstimateAllocationCountWithoutBias) {
  for (uint64_t seed : {4, 5, 6}) {
    uint64_t truth, samples;
    double count = 0;
    // A 4 KiB mean: the count is carried by the small allocations, which a 128 KiB mean samples
    // only ~700 times here (4 % standard error); at 4 KiB, ~20,000 (under 1 %).
    EstimateTotal(4 << 10, seed, &truth, &samples, &count);
    EXPECT_NEAR(count / 2'000'000, 1.0, 0.03) << "seed " << seed;
  }
}

TEST(Sampler, LargeAllocationsWeighNearlyTheirSize) {
  Sampler sampler(128 << 10);
  EXPECT_NEAR(static_cast<double>(sampler.Weigh(64 << 20).bytes), 64.0 * (1 << 20), 1.0);
  // A small one stands for about mean bytes: p(s) ~ s / mean.
  EXPECT_NEAR(static_cast<double>(sampler.Weigh(16).bytes), 128.0 * 1024, 128.0 * 1024 * 0.001);
}

TEST(Sampler, ExactModeSamplesEverythingAtItsSize) {
  Sampler sampler(1);
  uint64_t rng = Sampler::Seed(7);
  EXPECT_TRUE(sampler.exact());
  EXPECT_EQ(sampler.NextInterval(&rng), 0u);
  EXPECT_EQ(sampler.Weigh(12345).bytes, 12345u);
  EXPECT_EQ(sampler.Weigh(12345).count_x256, 256u);
  EXPECT_EQ(sampler.Weigh(0).bytes, 0u);
}

// The sampler's own log and 1 - e^-x against libm, over every input they can get.
TEST(SamplerMath, LogMatchesLibmWithin2e8) {
  double worst = 0;
  // Uniform variates as NextInterval makes them, (k + 1) * 2^-53, at every scale down to 2^-53.
  for (int e = 0; e <= 53; ++e) {
    for (int i = 1; i <= 1000; ++i) {
      double u = std::ldexp(0.5 + i / 2000.0, -e);  // (0.5, 1] * 2^-e
      worst = std::max(worst, std::fabs(sampler_math::Log(u) - std::log(u)));
    }
  }
  EXPECT_LT(worst, 2e-8);
  EXPECT_EQ(sampler_math::Log(1.0), 0.0);
}

TEST(SamplerMath, OneMinusExpNegMatchesLibmWithin1e7Relative) {
  double worst = 0;
  for (double x = 1e-12; x < 100; x *= 1.001) {
    double want = -std::expm1(-x);
    worst = std::max(worst, std::fabs(sampler_math::OneMinusExpNeg(x) - want) / want);
  }
  EXPECT_LT(worst, 1e-7);
  EXPECT_EQ(sampler_math::OneMinusExpNeg(0.0), 0.0);
  EXPECT_EQ(sampler_math::OneMinusExpNeg(1e6), 1.0);
}

// What the seed must give every thread: a live generator (xorshift never leaves state 0, so a
// zero state would sample at one fixed interval forever), a stream of its own even when seeds
// are consecutive (threads seeded from neighbouring values must not sample in step), and first
// intervals that are already exponential with the configured mean (no warm-up bias).
TEST(Sampler, SeedsGiveEveryThreadALiveStreamOfItsOwn) {
  Sampler sampler(4096);
  std::set<uint64_t> states;
  std::set<std::pair<uint64_t, uint64_t>> first_pairs;
  double first_sum = 0;
  for (uint64_t seed = 0; seed < 1000; ++seed) {
    uint64_t rng = Sampler::Seed(seed);
    EXPECT_NE(rng, 0u) << seed;
    states.insert(rng);
    uint64_t first = sampler.NextInterval(&rng);
    EXPECT_NE(rng, 0u) << seed;
    first_sum += static_cast<double>(first);
    // The stream moves: 8 draws are not all equal.
    std::set<uint64_t> draws{first};
    uint64_t second = sampler.NextInterval(&rng);
    first_pairs.emplace(first, second);
    draws.insert(second);
    for (int i = 0; i < 6; ++i) draws.insert(sampler.NextInterval(&rng));
    EXPECT_GT(draws.size(), 1u) << seed;
  }
  EXPECT_EQ(states.size(), 1000u);  // no two seeds share a stream
  // Consecutive seeds give unrelated streams: single intervals of mean 4096 collide by the
  // birthday bound (about 60 in 1000), but pairs of them almost never do (about 0.01).
  EXPECT_EQ(first_pairs.size(), 1000u);
  // The mean of 1000 exponential draws has a standard deviation of 3.2 % of the mean: 15 % is
  // nearly five of them. The seeds are fixed, so this cannot flake.
  EXPECT_NEAR(first_sum / 1000, 4096.0, 4096.0 * 0.15);
  // Seeds come from pids, times and addresses, so any 64-bit value is possible, including
  // -0x9E3779B97F4A7C15: SplitMix64 adds that constant first and its mixer keeps 0 at 0.
  for (uint64_t seed : {0x61C8864680B583EBull, ~0ull, 1ull << 63}) {
    uint64_t rng = Sampler::Seed(seed);
    EXPECT_NE(rng, 0u) << std::hex << seed;
    std::set<uint64_t> draws;
    for (int i = 0; i < 8; ++i) draws.insert(sampler.NextInterval(&rng));
    EXPECT_GT(draws.size(), 1u) << std::hex << seed;
  }
}

}  // namespace
}  // namespace leakscope::recorder
