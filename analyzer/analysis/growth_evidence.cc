// SPDX-License-Identifier: Apache-2.0
#include "analysis/growth_evidence.h"

#include <algorithm>
#include <cmath>

namespace leakscope::analyzer {
namespace {

// Counts beyond which binomial and Poisson tails come from the normal approximation (with
// continuity correction): its error there is small next to the levels we compare with, and trend
// weighs every site of every process, so the exact sums must stay short.
constexpr uint64_t kExactBinomialLimit = 64;
// Halvings of the bisections below: 2^-40 is far finer than any figure printed.
constexpr int kBisections = 40;

// log(e^a + e^b) without overflow: the tails are sums of terms too small for doubles.
double LogAdd(double a, double b) {
  double high = std::max(a, b), low = std::min(a, b);
  return high + std::log1p(std::exp(low - high));
}

// The point in [low, high] where `below(x)` turns from true to false (it must do so once), to
// kBisections halvings: below's side of the boundary if `low_side`, else the other.
template <typename Below>
double Boundary(double low, double high, bool low_side, Below below) {
  for (int i = 0; i < kBisections; ++i) {
    double mid = (low + high) / 2;
    (below(mid) ? low : high) = mid;
  }
  return low_side ? low : high;
}

bool SignificantGrowth(uint64_t births, uint64_t deaths, uint64_t late_births,
                       uint64_t late_deaths) {
  if (births <= deaths) return false;
  if (BinomialHalfLowerTail(deaths, births + deaths) > kSignificance) return false;
  if (deaths == 0) return late_births > 0;
  return late_births > late_deaths &&
         BinomialHalfLowerTail(late_deaths, late_births + late_deaths) <= kLateSignificance;
}

// The finest sampling WeighGrowth suggests, as a fraction of the one the dumps were taken with.
constexpr uint64_t kMaxSettlingScale = 4096;

}  // namespace

SampleEvents& SampleEvents::operator+=(const SampleEvents& other) {
  births += other.births;
  deaths += other.deaths;
  late_births += other.late_births;
  late_deaths += other.late_deaths;
  birth_est_bytes += other.birth_est_bytes;
  death_est_bytes += other.death_est_bytes;
  return *this;
}

double BinomialLowerTail(uint64_t k, uint64_t n, double p) {
  if (k >= n || p <= 0) return 1;
  if (p >= 1) return 0;
  double nd = static_cast<double>(n);
  if (n > kExactBinomialLimit) {
    double sd = std::sqrt(nd * p * (1 - p));
    double z = (static_cast<double>(k) + 0.5 - nd * p) / sd;  // with continuity correction
    return 0.5 * std::erfc(-z / std::sqrt(2.0));
  }
  // Sum the terms C(n, i) p^i (1-p)^(n-i), i <= k, in log space: (1-p)^n underflows early.
  double log_ratio = std::log(p) - std::log1p(-p);
  double log_term = nd * std::log1p(-p);
  double log_sum = log_term;
  for (uint64_t i = 0; i < k; ++i) {
    log_term +=
        std::log(static_cast<double>(n - i)) - std::log(static_cast<double>(i + 1)) + log_ratio;
    log_sum = LogAdd(log_sum, log_term);
  }
  return std::min(1.0, std::exp(log_sum));
}

// The tails are monotonic in p and in the mean, so each bound is one bisection.
double SuccessChanceLow(uint64_t k, uint64_t n, double tail) {
  if (k == 0) return 0;
  // P(X >= k) = 1 - P(X <= k - 1) rises with p.
  return Boundary(0, 1, /*low_side=*/true,
                  [&](double p) { return 1 - BinomialLowerTail(k - 1, n, p) < tail; });
}

double SuccessChanceHigh(uint64_t k, uint64_t n, double tail) {
  if (k >= n) return 1;
  // P(X <= k) falls as p rises.
  return Boundary(0, 1, /*low_side=*/false,
                  [&](double p) { return BinomialLowerTail(k, n, p) > tail; });
}

double PoissonMeanHigh(uint64_t k, double tail) {
  auto lower_tail = [k](double mean) {  // P(X <= k)
    if (k > kExactBinomialLimit) {
      double z = (static_cast<double>(k) + 0.5 - mean) / std::sqrt(mean);
      return 0.5 * std::erfc(-z / std::sqrt(2.0));
    }
    double log_term = -mean, log_sum = log_term;
    for (uint64_t i = 1; i <= k; ++i) {
      log_term += std::log(mean) - std::log(static_cast<double>(i));
      log_sum = LogAdd(log_sum, log_term);
    }
    return std::exp(log_sum);
  };
  double high = 2 * static_cast<double>(k) + 10;
  while (lower_tail(high) > tail) high *= 2;
  return Boundary(static_cast<double>(k), high, /*low_side=*/false,
                  [&](double mean) { return lower_tail(mean) > tail; });
}

GrowthEvidence WeighGrowth(const SampleEvents& e, uint64_t sample_bytes) {
  GrowthEvidence g;
  g.samples = e.births + e.deaths;
  g.growth_bytes = e.birth_est_bytes - e.death_est_bytes;
  g.growth_low_bytes = g.growth_high_bytes = g.growth_bytes;
  if (g.samples == 0) return g;
  g.p_value = BinomialHalfLowerTail(e.deaths, g.samples);
  g.late_p_value = BinomialHalfLowerTail(e.late_deaths, e.late_births + e.late_deaths);
  // No net births, or births that turnover explains easily: no growth to speak of (and no interval
  // to compute: trend weighs every site, most of which are of this kind).
  if (e.births <= e.deaths || (e.deaths > 0 && g.p_value > kPossibleSignificance)) return g;

  // Mean bytes a birth and a death stand for; with no death, a death would stand for what a birth
  // does (same site, same sizes).
  double birth_weight = e.birth_est_bytes / e.births;
  double death_weight = e.deaths > 0 ? e.death_est_bytes / e.deaths : birth_weight;
  double n = static_cast<double>(g.samples);
  auto growth_at = [&](double birth_share) {
    return n * (birth_share * birth_weight - (1 - birth_share) * death_weight);
  };
  g.growth_low_bytes = growth_at(SuccessChanceLow(e.births, g.samples, kSignificance));
  g.growth_high_bytes = growth_at(SuccessChanceHigh(e.births, g.samples, kSignificance)) *
                        PoissonMeanHigh(g.samples, kSignificance) / n;

  if (SignificantGrowth(e.births, e.deaths, e.late_births, e.late_deaths)) {
    g.verdict = GrowthVerdict::kSignificant;
    return g;
  }
  g.verdict = GrowthVerdict::kPossible;
  // With deaths, growth that shows no evidence of going on in the second half is a fill that
  // stopped: more samples would only confirm that. Without deaths, an empty second half may be
  // chance.
  if (e.deaths > 0 && g.late_p_value > kPossibleSignificance) {
    g.stopped = true;
    return g;
  }
  // Halve the sampling interval until the same proportions of samples, scaled to what it would be
  // expected to collect over the same dumps, pass the test. Without late births, assume one.
  uint64_t late_births = std::max<uint64_t>(e.late_births, 1);
  for (uint64_t scale = 2; scale <= kMaxSettlingScale && sample_bytes / scale >= 1; scale *= 2) {
    if (SignificantGrowth(e.births * scale, e.deaths * scale, late_births * scale,
                          e.late_deaths * scale)) {
      g.samples_needed = g.samples * scale;
      g.settling_sample_bytes = sample_bytes / scale;
      return g;
    }
  }
  return g;  // not even with every allocation recorded, or 4096 times the samples: no suggestion
}

}  // namespace leakscope::analyzer
