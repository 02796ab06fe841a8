// SPDX-License-Identifier: Apache-2.0
// A slow leak next to a capped LRU cache and a per-batch working set: the case where sampled
// evidence is thin (20 KiB leaked per batch is about 5 samples over 30 batches at the default
// 128 KiB), for measuring how often `leakscope trend` names the leak and how often it wrongly
// names the cache or the working set (`scripts/bench --only suspects`, bench/RESULTS.md).
//
// Per batch: cache_table_metadata keeps 10 blocks of 2 KiB forever (the leak); remember_result
// inserts 16 nodes of 4 KiB into an LRU capped at 256 nodes, evicting the oldest (full after 16
// batches, then every insert frees a node); process_records holds a 256 KiB working set in 32
// blocks for the first half of the batch and frees it. One thread; batch_ms per batch.
//
// Usage: slow_leak [batches] [batch_ms]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
  kLeakBlocks = 10,
  kLeakBlockBytes = 2048,
  kLruCapacity = 256,
  kLruInsertsPerBatch = 16,
  kLruNodeBytes = 4096,
  kWorkBlocks = 32,
  kWorkBlockBytes = 8192,
};

// Not static, so the compiler cannot prove the stores dead and drop the allocations.
void* g_leaked[kLeakBlocks * 100000];
size_t g_leaked_count;
void* g_lru[kLruCapacity];  // a ring: the oldest node is at g_lru_next once full
size_t g_lru_next, g_lru_size;

static void Pause(int millis) {
  struct timespec pause = {millis / 1000, (long)(millis % 1000) * 1000000L};
  nanosleep(&pause, NULL);
}

__attribute__((noinline)) void cache_table_metadata(int batch) {
  for (int i = 0; i < kLeakBlocks; ++i) {
    char* block = malloc(kLeakBlockBytes);
    block[0] = (char)batch;
    if (g_leaked_count < sizeof(g_leaked) / sizeof(g_leaked[0])) g_leaked[g_leaked_count++] = block;
  }
}

__attribute__((noinline)) void remember_result(int batch) {
  for (int i = 0; i < kLruInsertsPerBatch; ++i) {
    if (g_lru_size == kLruCapacity) {
      free(g_lru[g_lru_next]);  // evict the least recently used
    } else {
      ++g_lru_size;
    }
    char* node = malloc(kLruNodeBytes);
    node[0] = (char)batch;
    g_lru[g_lru_next] = node;
    g_lru_next = (g_lru_next + 1) % kLruCapacity;
  }
}

__attribute__((noinline)) void process_records(int batch, int hold_ms) {
  char* rows[kWorkBlocks];
  for (int i = 0; i < kWorkBlocks; ++i) {
    rows[i] = malloc(kWorkBlockBytes);
    rows[i][0] = (char)(batch + i);
  }
  Pause(hold_ms);
  for (int i = 0; i < kWorkBlocks; ++i) free(rows[i]);
}

int main(int argc, char** argv) {
  int batches = argc > 1 ? atoi(argv[1]) : 30;
  int batch_ms = argc > 2 ? atoi(argv[2]) : 100;
  for (int batch = 0; batch < batches; ++batch) {
    cache_table_metadata(batch);
    remember_result(batch);
    process_records(batch, batch_ms / 2);
    Pause(batch_ms - batch_ms / 2);
  }
  printf("slow_leak: %d batches; leaked %d bytes in cache_table_metadata\n", batches,
         batches * kLeakBlocks * kLeakBlockBytes);
  return 0;
}
