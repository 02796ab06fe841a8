// SPDX-License-Identifier: Apache-2.0
// The two transcendental functions the sampler needs, inline and without libm.
//
// Every sample draws an interval (-log u) and weighs itself (1 - e^-x). Through libm those are
// two calls into another library's code, whose pages the program's own work has evicted from
// the caches and the TLB between two samples: ~10 % of the recorder's time in bench/churn. A
// sampler needs a few significant digits, not 16: Log stays within 2e-8 of libm (absolute: an
// interval off by 2e-8 of its mean, a fraction of a byte) and OneMinusExpNeg within 1e-7
// relative; tests/preload/sampler_test.cc checks both over their whole range.
//
// Constants come as immediates in the instruction stream (K below), not as loads from .rodata:
// the sampled path touches .rodata nowhere else, so the first constant of every sample paid a
// TLB and cache miss (a quarter to a half of SampleAllocation's time in bench/churn). And no
// division where a multiplication by a known reciprocal does: a division takes ~13 cycles, in
// a chain that nothing overlaps.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace leakscope::recorder::sampler_math {

// `value` as an immediate: the compiler moves its bits into an integer register, then into an
// SSE (x86-64) or SIMD&FP (AArch64: mov/movk, fmov) register. Not volatile, so repeated uses are
// still shared. Elsewhere a plain constant.
inline double K(double value) {
#if defined(__x86_64__)
  double out;
  asm("movq %1, %0" : "=x"(out) : "r"(std::bit_cast<uint64_t>(value)));
  return out;
#elif defined(__aarch64__)
  double out;
  asm("fmov %d0, %1" : "=w"(out) : "r"(std::bit_cast<uint64_t>(value)));
  return out;
#else
  return value;
#endif
}

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
  double one = K(1.0);
  double s = (m - one) / (m + one);
  double s2 = s * s;
  double series =
      s *
      (K(2.0) +
       s2 * (K(2.0 / 3) +
             s2 * (K(2.0 / 5) +
                   s2 * (K(2.0 / 7) + s2 * (K(2.0 / 9) + s2 * (K(2.0 / 11) + s2 * K(2.0 / 13)))))));
  return exponent * K(0.6931471805599453) + series;  // e ln 2 + log m
}

// 1 - e^-x for x >= 0: the probability that a memoryless countdown of mean 1 ends within x.
inline double OneMinusExpNeg(double x) {
  double one = K(1.0);
  if (x < K(0.03125)) {
    // Taylor series, alternating: the first term left out (x^7 / 5040) is below 1e-12 of x.
    return x * (one -
                x * (K(1.0 / 2) -
                     x * (K(1.0 / 6) - x * (K(1.0 / 24) - x * (K(1.0 / 120) - x * K(1.0 / 720))))));
  }
  if (x > K(40.0)) return one;  // e^-40 ~ 4e-18: below a double's resolution near 1
  // e^-x = 2^-y, y = x log2(e) = n + f with f in [0, 1): 2^-f from a Taylor series of e^(-f ln 2)
  // (terms to the 10th; the 11th is below 1e-9), 2^-n by the exponent bits.
  double y = x * K(1.4426950408889634);
  int n = static_cast<int>(y);
  double t = (y - n) * K(0.6931471805599453);  // f ln 2, in [0, 0.694)
  // Horner form of sum (-t)^k / k!, k = 0..10: e = 1 - t e / k from k = 10 down.
  double e = one - t * K(1.0 / 10);
  e = one - t * e * K(1.0 / 9);
  e = one - t * e * K(1.0 / 8);
  e = one - t * e * K(1.0 / 7);
  e = one - t * e * K(1.0 / 6);
  e = one - t * e * K(1.0 / 5);
  e = one - t * e * K(1.0 / 4);
  e = one - t * e * K(1.0 / 3);
  e = one - t * e * K(1.0 / 2);
  e = one - t * e;
  uint64_t scale_bits = static_cast<uint64_t>(1023 - n) << 52;
  double scale;
  std::memcpy(&scale, &scale_bits, sizeof(scale));
  return one - e * scale;
}

}  // namespace leakscope::recorder::sampler_math
