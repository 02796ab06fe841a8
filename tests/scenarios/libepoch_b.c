/* SPDX-License-Identifier: Apache-2.0 */
/* Loaded by epoch_reuse where libepoch_a.so was: the same shape, so the loader reuses its range.
 *   beta_big  10 x 3000 B, never freed */
#include "scenario.h"

static void* kept[100];

NOINLINE void beta_big(void) {
  for (int i = 0; i < 10; ++i) kept[i] = Sink(malloc(3000));
}

__attribute__((visibility("default"))) void epoch_run(void) { beta_big(); }
