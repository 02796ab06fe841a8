/* A 64 MiB leak of mixed sizes for the sampled estimate, plus churn that is all freed.
 *   leak_small   16 B .. 16 KiB, ~8 MiB
 *   leak_medium  64 KiB .. 256 KiB, ~8 MiB
 *   leak_large   1 MiB .. 4 MiB, the rest up to 64 MiB
 *   churn        32 MiB in 16 B .. 4 KiB blocks, each freed at once
 * Sizes come from a fixed-seed generator; the exact total leaked is printed as "leaked <bytes>".
 * Most bytes sit in blocks larger than the default sampling interval so the ±10% check has a wide
 * margin: with a 128 KiB interval the estimate's standard deviation is about 2%. Blocks are not
 * touched, so the 64 MiB cost address space, not memory. */
#include <stdint.h>

#include "scenario.h"

enum { kMaxBlocks = 8192 };
static void* kept[kMaxBlocks];
static int kept_count;
static uint64_t leaked;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t Next(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static size_t Between(size_t lo, size_t hi) { return lo + (size_t)(Next() % (hi - lo + 1)); }

static void Keep(void* p, size_t size) {
  CHECK(p != NULL && kept_count < kMaxBlocks);
  kept[kept_count++] = p;
  leaked += size;
}

NOINLINE void leak_small(uint64_t budget) {
  for (uint64_t total = 0; total < budget;) {
    size_t n = Between(16, 16 << 10);
    Keep(malloc(n), n);
    total += n;
  }
}

NOINLINE void leak_medium(uint64_t budget) {
  for (uint64_t total = 0; total < budget;) {
    size_t n = Between(64 << 10, 256 << 10);
    Keep(malloc(n), n);
    total += n;
  }
}

NOINLINE void leak_large(uint64_t budget) {
  for (uint64_t total = 0; total < budget;) {
    size_t n = Between(1 << 20, 4 << 20);
    if (n > budget - total) n = budget - total; /* end at exactly 64 MiB */
    Keep(malloc(n), n);
    total += n;
  }
}

NOINLINE void churn(uint64_t budget) {
  for (uint64_t total = 0; total < budget;) {
    size_t n = Between(16, 4096);
    free(Sink(malloc(n)));
    total += n;
  }
}

int main(void) {
  const uint64_t kMiB = 1 << 20;
  leak_small(8 * kMiB);
  churn(16 * kMiB);
  leak_medium(8 * kMiB);
  churn(16 * kMiB);
  leak_large(64 * kMiB - leaked);
  printf("leaked %llu\n", (unsigned long long)leaked);
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */
