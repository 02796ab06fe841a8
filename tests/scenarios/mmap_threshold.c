/* Whether malloc still serves a 1 MiB block with mmap after the recorder has written a dump.
 * glibc raises its mmap threshold to the size of any mmap-served block that is freed; a recorder
 * that malloc'ed and freed its own big buffers would move the program's large blocks to the heap.
 *
 * Keeps 20000 small blocks live (so a dump's per-sample scratch is hundreds of KiB), waits until
 * the periodic dump leakscope.<pid>.0.dump appears in argv[1] (the test sets
 * LEAKSCOPE_INTERVAL=100ms), then mallocs 1 MiB and exits 0 if mallinfo2's mmapped bytes grew by
 * at least that much, 101 if not, 102 if no dump came within 20 s. */
#include <malloc.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "scenario.h"

enum { kSmallBlocks = 20000 };
static void* kept[kSmallBlocks];

int main(int argc, char** argv) {
  CHECK(argc == 2);
  for (int i = 0; i < kSmallBlocks; ++i) kept[i] = Sink(malloc(16));
  char dump[4096];
  snprintf(dump, sizeof(dump), "%s/leakscope.%d.0.dump", argv[1], (int)getpid());
  struct timespec tick = {0, 10 * 1000 * 1000};
  for (int waited = 0; access(dump, F_OK) != 0; ++waited) {
    if (waited == 2000) return 102;
    nanosleep(&tick, NULL);
  }
  size_t before = mallinfo2().hblkhd;
  void* big = Sink(malloc(1 << 20));
  CHECK(big != NULL);
  size_t after = mallinfo2().hblkhd;
  if (after < before + (1 << 20)) {
    fprintf(stderr, "1 MiB came from the heap: mmapped bytes %zu -> %zu\n", before, after);
    return 101;
  }
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */
