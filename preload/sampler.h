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

namespace leakscope {

class Sampler {
 public:
  constexpr explicit Sampler(uint64_t mean_bytes) : mean_bytes_(mean_bytes) {}

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
    double s = static_cast<double>(size);
    double p = sampler_math::OneMinusExpNeg(s / static_cast<double>(mean_bytes_));
    return Weights{static_cast<uint64_t>(s / p + 0.5), static_cast<uint64_t>(256.0 / p + 0.5)};
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
    uint64_t bits = (x * 0x2545F4914F6CDD1Dull) >> 11;         // 53 random bits
    double u = (static_cast<double>(bits) + 1.0) * 0x1.0p-53;  // (0, 1]
    double interval = -sampler_math::Log(u) * static_cast<double>(mean_bytes_);
    if (interval > 0x1.0p62) interval = 0x1.0p62;
    return static_cast<uint64_t>(interval) + 1;
  }

  // A non-zero generator state from any seed.
  static uint64_t Seed(uint64_t seed) { return SplitMix(seed) | 1; }

 private:
  static uint64_t SplitMix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  }

  uint64_t mean_bytes_;
};

}  // namespace leakscope
