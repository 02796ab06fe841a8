/* SPDX-License-Identifier: Apache-2.0 */
/* Loaded, run and dlclose'd by epoch_reuse before libepoch_b.so is loaded at the same address.
 *   alpha_leak  100 x 1000 B, never freed */
#include "scenario.h"

static void* kept[100];

NOINLINE void alpha_leak(void) {
  for (int i = 0; i < 100; ++i) kept[i] = Sink(malloc(1000));
}

__attribute__((visibility("default"))) void epoch_run(void) { alpha_leak(); }
