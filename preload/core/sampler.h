// SPDX-License-Identifier: Apache-2.0
// Poisson sampling over allocated bytes (the scheme of tcmalloc's and heapprofd's samplers).
//
// Each thread counts down a random number of bytes drawn from an exponential distribution with
// mean `mean_bytes`; the allocation that crosses zero is sampled. Because the distribution is
// memoryless, an allocation of s bytes is sampled with probability p(s) = 1 - exp(-s / mean),
// whatever came before, and weighting each sample by s / p(s) makes the estimated bytes unbiased.
// Large allocations (s >> mean) are nearly always sampled with weight ~ s.
//
// Threading: one Sampler per thread (its state lives in ThreadState); Weigh() is pure.
// mean_bytes == 1 means "record every allocation exactly": every allocation is sampled with
// weight == size.
#pragma once

#include <cstdint>

#include "sampler_math.h"

namespace leakscope::recorder {

class Sampler {
 public:
  constexpr explicit Sampler(uint64_t mean_bytes)
      : mean_bytes_(mean_bytes),
        inverse_mean_(mean_bytes == 0 ? 1.0 : 1.0 / static_cast<double>(mean_bytes)),
        negative_mean_(-static_cast<double>(mean_bytes)) {}

  uint64_t mean_bytes() const { return mean_bytes_; }
  bool exact() const { return mean_bytes_ <= 1; }

  // What a sample of `size` bytes stands for: size / p(size) bytes, and 1 / p(size) allocations
  // in units of 1/256 (fixed point, so per-site sums stay integers); both rounded.
  struct Weights {
    uint64_t bytes;
    uint64_t count_x256;
  };
  // A block recorded whole rather than sampled (exact mode, a zlib stream's memory) stands for
  // itself: its size, one allocation.
  static Weights Whole(uint64_t size) { return Weights{size, 256}; }
  Weights Weigh(uint64_t size) const {
    if (exact() || size == 0) return Whole(size);
    using sampler_math::K;
    double s = static_cast<double>(size);
    double inverse_p = K(1.0) / sampler_math::OneMinusExpNeg(s * inverse_mean_);  // one division
    double half = K(0.5);
    return Weights{ToInteger(s * inverse_p + half), ToInteger(K(256.0) * inverse_p + half)};
  }

  // Draws the next countdown from *rng_state, which the caller seeds once (Seed()): the next
  // allocation of at least that many bytes (counting down) is sampled. Exact mode returns 0:
  // every allocation is sampled.
  uint64_t NextInterval(uint64_t* rng_state) const {
    if (exact()) return 0;
    // xorshift64*: tiny, good enough for sampling, no locks.
    uint64_t x = *rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *rng_state = x;
    uint64_t bits = (x * 0x2545F4914F6CDD1Dull) >> 11;  // 53 random bits
    using sampler_math::K;
    double u = (static_cast<double>(bits) + K(1.0)) * K(0x1.0p-53);  // (0, 1]
    double interval = sampler_math::Log(u) * negative_mean_;
    if (interval > K(0x1.0p62)) interval = K(0x1.0p62);
    return ToInteger(interval) + 1;
  }

  // A non-zero generator state from any seed.
  static uint64_t Seed(uint64_t seed) { return SplitMix(seed) | 1; }

 private:
  // A non-negative double to an integer through the signed conversion (one instruction): the
  // unsigned one compares with 2^63, a constant from .rodata. Values that large only come from
  // sizes no allocation can have.
  static uint64_t ToInteger(double x) {
    using sampler_math::K;
    if (x < K(0x1.0p62)) return static_cast<uint64_t>(static_cast<int64_t>(x));
    return static_cast<uint64_t>(x);
  }

  static uint64_t SplitMix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  }

  uint64_t mean_bytes_;
  double inverse_mean_;   // Weigh multiplies by it rather than divide by the mean
  double negative_mean_;  // the interval is log(u) times it: no sign flip (a .rodata mask)
};

}  // namespace leakscope::recorder
