/* Threads alive at once, each keeping its first allocation: first_block, `bytes` B per thread.
 *   first_allocations <threads> <bytes>
 * A thread's first allocation must be sampled like any other (chance 1 - exp(-bytes / mean)),
 * not with certainty, so the estimate of the whole stays near threads x bytes. The blocks stay
 * live until exit; nothing else is allocated in the threads. */
#include <pthread.h>
#include <unistd.h>

#include "scenario.h"

enum { kMaxThreads = 1024 };

static void* kept[kMaxThreads];
static size_t block_bytes;
static pthread_barrier_t all_allocated;

NOINLINE void first_block(int t) {
  kept[t] = malloc(block_bytes);
  CHECK(kept[t] != NULL);
}

static void* Worker(void* arg) {
  first_block((int)(long)arg);
  /* Every thread still alive when the last one allocates, as in a pool. */
  pthread_barrier_wait(&all_allocated);
  return NULL;
}

int main(int argc, char** argv) {
  CHECK(argc == 3);
  int threads = atoi(argv[1]);
  block_bytes = (size_t)atol(argv[2]);
  CHECK(threads > 0 && threads <= kMaxThreads && block_bytes > 0);
  static pthread_t ids[kMaxThreads];
  pthread_attr_t attr;
  CHECK(pthread_attr_init(&attr) == 0);
  /* 64 KiB, or the smallest stack the machine allows (128 KiB on AArch64). */
  size_t stack_bytes = 64 * 1024;
  long stack_min = sysconf(_SC_THREAD_STACK_MIN);
  if (stack_min > 0 && (size_t)stack_min > stack_bytes) stack_bytes = (size_t)stack_min;
  CHECK(pthread_attr_setstacksize(&attr, stack_bytes) == 0);
  CHECK(pthread_barrier_init(&all_allocated, NULL, (unsigned)threads) == 0);
  for (int t = 0; t < threads; ++t) {
    CHECK(pthread_create(&ids[t], &attr, Worker, (void*)(long)t) == 0);
  }
  for (int t = 0; t < threads; ++t) CHECK(pthread_join(ids[t], NULL) == 0);
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */
