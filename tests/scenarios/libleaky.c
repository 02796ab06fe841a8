/* Loaded with dlopen by dlopen_leak, then dlclose'd. Its leak must stay attributed to its own
 * functions after it is gone.
 *   leaky_alloc  5 x 333 B, never freed
 *   leaky_temp   3 x 4000 B, freed */
#include "scenario.h"

static void* kept[5];

NOINLINE void leaky_alloc(void) {
  for (int i = 0; i < 5; ++i) {
    kept[i] = malloc(333);
    CHECK(kept[i] != NULL);
  }
}

NOINLINE void leaky_temp(void) {
  for (int i = 0; i < 3; ++i) free(Sink(malloc(4000)));
}

__attribute__((visibility("default"))) void leaky_run(void) {
  leaky_alloc();
  leaky_temp();
}
/* SPDX-License-Identifier: Apache-2.0 */
