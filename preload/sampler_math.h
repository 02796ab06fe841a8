// The two transcendental functions the sampler needs, inline and without libm.
//
// Every sample draws an interval (-log u) and weighs itself (1 - e^-x). Through libm those are
// two calls into another library's code, whose pages the program's own work has evicted from
// the caches and the TLB between two samples: ~10 % of the recorder's time in bench/churn. A
// sampler needs a few significant digits, not 16: Log stays within 2e-8 of libm (absolute: an
// interval off by 2e-8 of its mean, a fraction of a byte) and OneMinusExpNeg within 1e-7
// relative; tests/unit/sampler_test.cc checks both over their whole range.
#pragma once

#include <cstdint>
#include <cstring>

namespace leakscope::sampler_math {

// Natural logarithm of u, for 0 < u <= 1 (a uniform variate).
inline double Log(double u) {
  // u = m * 2^e with m in [1, 2); log u = e ln 2 + log m, and log m = 2 atanh(s) with
  // s = (m - 1) / (m + 1) in [0, 1/3]: an odd series whose first term left out (2 s^15 / 15)
  // and the rest sum to under 2e-8.
  uint64_t bits;
  std::memcpy(&bits, &u, sizeof(bits));
  int exponent = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
  double m;
  std::memcpy(&m, &bits, sizeof(m));
  double s = (m - 1.0) / (m + 1.0);
  double s2 = s * s;
  double series =
      s * (2.0 + s2 * (2.0 / 3 +
                       s2 * (2.0 / 5 +
                             s2 * (2.0 / 7 + s2 * (2.0 / 9 + s2 * (2.0 / 11 + s2 * (2.0 / 13)))))));
  constexpr double kLn2 = 0.6931471805599453;
  return exponent * kLn2 + series;
}

// 1 - e^-x for x >= 0: the probability that a memoryless countdown of mean 1 ends within x.
inline double OneMinusExpNeg(double x) {
  if (x < 0.03125) {
    // Taylor series, alternating: the first term left out (x^7 / 5040) is below 1e-12 of x.
    return x * (1 - x * (1.0 / 2 - x * (1.0 / 6 - x * (1.0 / 24 - x * (1.0 / 120 - x / 720)))));
  }
  if (x > 40) return 1.0;  // e^-40 ~ 4e-18: below a double's resolution near 1
  // e^-x = 2^-y, y = x log2(e) = n + f with f in [0, 1): 2^-f from a Taylor series of e^(-f ln 2)
  // (terms to the 10th; the 11th is below 1e-9), 2^-n by the exponent bits.
  double y = x * 1.4426950408889634;
  int n = static_cast<int>(y);
  double t = (y - n) * 0.6931471805599453;  // f ln 2, in [0, 0.694)
  double e = 1.0;
  for (int k = 10; k >= 1; --k) e = 1.0 - t * e / k;  // Horner form of sum (-t)^k / k!
  uint64_t scale_bits = static_cast<uint64_t>(1023 - n) << 52;
  double scale;
  std::memcpy(&scale, &scale_bits, sizeof(scale));
  return 1.0 - e * scale;
}

}  // namespace leakscope::sampler_math
