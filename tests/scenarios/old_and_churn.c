/* One dump tells an early leak from a churning working set of the same size (allocation age):
 *   leak_early     64 x 4096 B allocated at start and never freed;
 *   churn_working  a working set of 64 x 4096 B in which one block is freed and replaced every
 *                  millisecond or so, for SECONDS seconds (argv[1], default 3).
 * At exit both sites hold 256 KiB live. The leak's blocks are SECONDS old; the working set's
 * were all allocated within its last turn, tens of milliseconds before the end. */
#include <time.h>

#include "scenario.h"

enum { kBlocks = 64, kSize = 4096 };

static void* leaked[kBlocks];
static void* working[kBlocks];

NOINLINE void leak_early(void) {
  for (int i = 0; i < kBlocks; ++i) {
    leaked[i] = malloc(kSize);
    CHECK(leaked[i] != NULL);
  }
}

NOINLINE void* churn_working(void) { return malloc(kSize); }

static double Now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 3;
  leak_early();
  double end = Now() + seconds;
  /* One call site for the whole working set: the first turn fills it (free(NULL) is a no-op). */
  for (unsigned i = 0; i < kBlocks || Now() < end; ++i) {
    free(working[i % kBlocks]);
    working[i % kBlocks] = churn_working();
    CHECK(working[i % kBlocks] != NULL);
    struct timespec pause = {0, 1000000};
    nanosleep(&pause, NULL);
  }
  return 0;
}
