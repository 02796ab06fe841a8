/* Grows for 800 ms: grow leaks 1000 B every 100 ms, 8 times, while the recorder writes periodic
 * dumps (the test sets LEAKSCOPE_INTERVAL=200ms). */
#include <time.h>

#include "scenario.h"

static void* kept[8];

NOINLINE void grow(int i) { kept[i] = malloc(1000); }

int main(void) {
  struct timespec tick = {0, 100 * 1000 * 1000};
  for (int i = 0; i < 8; ++i) {
    grow(i);
    CHECK(kept[i] != NULL);
    nanosleep(&tick, NULL);
  }
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */
