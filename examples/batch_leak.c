// A batch job with one native leak, for `scripts/demo --c`: the C counterpart of the JVM demo.
//
// Every batch it: reads "metadata" into a buffer that a buggy cache keeps forever (the leak:
// 48 KiB per batch from cache_table_metadata); builds per-batch work buffers and frees them (no
// leak); and keeps a bounded LRU of recent results that grows and shrinks (a cache, not a leak).
// It prints the truth at the end, so the analyzer's findings can be checked by eye.
//
// Usage: batch_leak [batches] [batch_ms]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { kLeakPerBatch = 48 * 1024, kLruSlots = 16 };

// Not static: the compiler must not prove the cache unread and drop the leak altogether.
void* g_metadata_cache[100000];
size_t g_cached;
static void* g_lru[kLruSlots];

__attribute__((noinline)) static void cache_table_metadata(int batch) {
  char* metadata = malloc(kLeakPerBatch);
  memset(metadata, batch & 0xff, kLeakPerBatch);
  if (g_cached < sizeof(g_metadata_cache) / sizeof(g_metadata_cache[0])) {
    g_metadata_cache[g_cached++] = metadata;  // never evicted: the bug
  }
}

__attribute__((noinline)) static void process_records(int batch) {
  char* rows[64];
  for (int i = 0; i < 64; ++i) {
    rows[i] = malloc(256 + (size_t)((batch * 31 + i * 17) % 4096));
    rows[i][0] = (char)i;
  }
  for (int i = 0; i < 64; ++i) free(rows[i]);
}

__attribute__((noinline)) static void remember_result(int batch) {
  // Sizes cycle, so the LRU's total goes up and down from batch to batch.
  int slot = batch % kLruSlots;
  free(g_lru[slot]);
  g_lru[slot] = malloc((size_t)(1 + (batch * 7) % 5) * 16 * 1024);
}

int main(int argc, char** argv) {
  int batches = argc > 1 ? atoi(argv[1]) : 40;
  int batch_ms = argc > 2 ? atoi(argv[2]) : 250;
  for (int batch = 0; batch < batches; ++batch) {
    cache_table_metadata(batch);
    process_records(batch);
    remember_result(batch);
    struct timespec pause = {batch_ms / 1000, (long)(batch_ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
  }
  printf(
      "batch_leak: %d batches; leaked %d blocks of %d bytes (%d bytes) in cache_table_metadata\n",
      batches, batches, kLeakPerBatch, batches * kLeakPerBatch);
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */
