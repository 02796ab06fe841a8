/* Leaks blocks of known sizes from four functions and frees nothing:
 *   leak_256        10 x 256 B
 *   leak_4096        3 x 4096 B
 *   leak_1mib        2 x 1 MiB (served by mmap)
 *   leak_odd_sizes   1 + 17 + 1000 + 100000 B */
#include "scenario.h"

static void* kept[32];
static int kept_count;

static void Keep(void* p) {
  CHECK(p != NULL);
  kept[kept_count++] = p;
}

NOINLINE void leak_256(void) {
  for (int i = 0; i < 10; ++i) Keep(malloc(256));
}

NOINLINE void leak_4096(void) {
  for (int i = 0; i < 3; ++i) Keep(malloc(4096));
}

NOINLINE void leak_1mib(void) {
  for (int i = 0; i < 2; ++i) Keep(malloc(1 << 20));
}

NOINLINE void leak_odd_sizes(void) {
  static const size_t kSizes[] = {1, 17, 1000, 100000};
  for (int i = 0; i < 4; ++i) Keep(malloc(kSizes[i]));
}

int main(void) {
  leak_256();
  leak_4096();
  leak_1mib();
  leak_odd_sizes();
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */
