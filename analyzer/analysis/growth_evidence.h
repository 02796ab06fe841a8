// SPDX-License-Identifier: Apache-2.0
// Whether a site's growth across a series of dumps rests on evidence, and how much.
//
// At default sampling a slow leak may rest on a handful of samples, and a step function of four
// samples has a robust slope of 0 while a cache that is still filling drifts up on three. What
// sampling keeps is the fate of each sample: a leak's sampled allocations are never freed, while
// a cache's or working set's die as entries are replaced. So the evidence is the count of sampled
// births and deaths at the site over the window (every dump carries both, cumulative):
// - Steady state with turnover means as many deaths as births in expectation. Given n = births +
//   deaths events, the chance that deaths are as few as observed is the binomial tail
//   P(Bin(n, 1/2) <= deaths) (the sign test: the most powerful test of two equal Poisson rates).
//   For a leak (no death) it is 2^-births: five births and no death give 1/32.
// - A cache that filled during the window grew for real, then turns over: its births outnumber
//   its deaths over the window, but not over its second half. Growth counts as significant only
//   if it continues into the second half of the window: with deaths, births must outnumber them
//   significantly there too (kLateSignificance); without any, the second half must still see
//   births.
// - A site whose growth is not significant is still shown as possible growth, with the number of
//   samples its figures rest on and a sampling rate expected to settle the question.
// Exact mode (every allocation recorded) has no sampling error; trend keeps its shape rules there.
#pragma once

#include <cstdint>

namespace leakscope::analyzer {

// Sampled allocations made and freed at one site between the first and the last dump of a window,
// and between its middle dump and the last. Counts are of samples (whole-recorded blocks such as
// zlib streams count as samples too); the bytes are what they stand for (estimates).
struct SampleEvents {
  uint64_t births = 0;
  uint64_t deaths = 0;
  uint64_t late_births = 0;
  uint64_t late_deaths = 0;
  double birth_est_bytes = 0;
  double death_est_bytes = 0;

  SampleEvents& operator+=(const SampleEvents& other);
};

enum class GrowthVerdict {
  kNone,         // no net growth in the samples, or growth turnover explains easily
  kPossible,     // births outnumber deaths, but not significantly (or not into the second half)
  kSignificant,  // growth that steady state with turnover explains with chance <= kSignificance
};

inline constexpr double kSignificance = 0.05;
// A site that frees samples shows possible growth only with at least this much evidence: in a
// process of thousands of churning sites, half have more births than deaths by chance.
inline constexpr double kPossibleSignificance = 0.25;
// A site that frees samples has shown turnover; its growth must also continue into the second
// half of the window at this stricter level, because a cache that finishes filling just after the
// middle still grows a little there (bench/slow_leak at 32 KiB: 1 to 3 false suspects in 40 runs
// at 0.05, none at 0.01).
inline constexpr double kLateSignificance = 0.01;

struct GrowthEvidence {
  GrowthVerdict verdict = GrowthVerdict::kNone;
  uint64_t samples = 0;  // births + deaths: what the growth figure rests on
  // One-sided: the chance, in steady state, of deaths as few as observed among these samples;
  // over the window and over its second half.
  double p_value = 1;
  double late_p_value = 1;
  // Net growth over the window in estimated bytes, and (kPossible and kSignificant only; otherwise
  // both bounds are the estimate) a 90 % interval for it from exact one-sided
  // 95 % bounds: on the share of births among the samples (Clopper-Pearson), each birth and death
  // weighted by the site's mean bytes per birth and per death, and for the high bound also on the
  // number of samples (Poisson). The low bound is above 0 exactly when p_value <= kSignificance.
  double growth_bytes = 0;
  double growth_low_bytes = 0;
  double growth_high_bytes = 0;
  // kPossible: the first halving of the sampling interval (LEAKSCOPE_SAMPLE_BYTES) at which the
  // same proportions of samples, as many more as it would be expected to collect over the same
  // dumps, would be significant, and that many samples; 0 when more samples would not settle it
  // (no growth left in the second half, or not within 4096 times the samples).
  uint64_t samples_needed = 0;
  uint64_t settling_sample_bytes = 0;
  // kPossible with deaths and no evidence of growth in the second half (late_p_value above
  // kPossibleSignificance): grew, then stopped.
  bool stopped = false;
};

// `sample_bytes`: the mean sampling interval the dumps were recorded with (> 1).
GrowthEvidence WeighGrowth(const SampleEvents& events, uint64_t sample_bytes);

// P(Bin(n, p) <= k): exact for n up to 64, a normal approximation beyond.
double BinomialLowerTail(uint64_t k, uint64_t n, double p);
inline double BinomialHalfLowerTail(uint64_t k, uint64_t n) { return BinomialLowerTail(k, n, 0.5); }

// Exact one-sided bounds on the success chance behind k successes in n trials: the chance below
// which (above which) k or more (k or fewer) successes have probability `tail` (Clopper-Pearson).
double SuccessChanceLow(uint64_t k, uint64_t n, double tail);
double SuccessChanceHigh(uint64_t k, uint64_t n, double tail);

// The mean above which a Poisson count of k or fewer has probability `tail` (exact bisection).
double PoissonMeanHigh(uint64_t k, double tail);

}  // namespace leakscope::analyzer
