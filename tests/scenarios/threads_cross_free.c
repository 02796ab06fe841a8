/* 8 threads allocate, wait for each other, then free each other's blocks.
 *   thread_alloc   thread t allocates 500 blocks of 16 + 8t B (176000 B over all threads);
 *                  thread t then frees the blocks of thread (t + 1) % 8 except every fifth, so
 *                  8 x 100 blocks stay live: 100 x (16 + 24 + ... + 72) = 35200 B
 *   thread_churn   each thread 2000 x malloc(32) + free, all freed
 * Every thread has exited before main returns. */
#include <pthread.h>

#include "scenario.h"

enum { kThreads = 8, kBlocks = 500 };

static void* blocks[kThreads][kBlocks];
static pthread_barrier_t allocated;

NOINLINE void thread_alloc(int t) {
  for (int i = 0; i < kBlocks; ++i) {
    blocks[t][i] = malloc(16 + 8 * (size_t)t);
    CHECK(blocks[t][i] != NULL);
  }
}

NOINLINE void thread_churn(void) {
  for (int i = 0; i < 2000; ++i) free(Sink(malloc(32)));
}

static void* Worker(void* arg) {
  int t = (int)(long)arg;
  thread_alloc(t);
  pthread_barrier_wait(&allocated);
  int owner = (t + 1) % kThreads;
  for (int i = 0; i < kBlocks; ++i) {
    if (i % 5 != 0) free(blocks[owner][i]);
  }
  thread_churn();
  return NULL;
}

int main(void) {
  pthread_t threads[kThreads];
  CHECK(pthread_barrier_init(&allocated, NULL, kThreads) == 0);
  for (long t = 0; t < kThreads; ++t) {
    CHECK(pthread_create(&threads[t], NULL, Worker, (void*)t) == 0);
  }
  for (int t = 0; t < kThreads; ++t) CHECK(pthread_join(threads[t], NULL) == 0);
  pthread_barrier_destroy(&allocated);
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */
