// SPDX-License-Identifier: Apache-2.0
// recorder_memory: allocates N small blocks, keeps them all live and exits, so that the dump the
// recorder writes at exit shows its own reserved and resident bytes while holding N live sampled
// allocations (run with LEAKSCOPE_SAMPLE_BYTES=1 and LEAKSCOPE_MAX_LIVE >= N). scripts/bench
// reads the dump with dump_memory and reports bytes per live allocation.
//
// Usage: recorder_memory N [SIZE]   (SIZE defaults to 32 bytes)
// Prints nothing; exit status 2 on a bad argument.

#include <sys/mman.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "parse_count.h"

namespace {

using leakscope::bench::ParseCount;

// All blocks come from this one function, so the stack table holds one site and the figure is
// the cost of the live table alone.
__attribute__((noinline)) void* AllocateBlock(uint64_t size) {
  void* p = malloc(size);
  if (p == nullptr) abort();
  memset(p, 0xa5, size);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t count = 0;
  uint64_t size = 32;
  if (argc < 2 || argc > 3 || !ParseCount(argv[1], &count) ||
      (argc == 3 && (!ParseCount(argv[2], &size) || size == 0))) {
    fprintf(stderr, "usage: recorder_memory N [SIZE]\n");
    return 2;
  }
  // The pointer array comes from mmap so that it is not itself one of the recorded allocations.
  size_t array_bytes = count * sizeof(void*) + 1;
  void* mapping =
      mmap(nullptr, array_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping == MAP_FAILED) {
    perror("recorder_memory: mmap");
    return 1;
  }
  void** blocks = static_cast<void**>(mapping);
  for (uint64_t i = 0; i < count; ++i) blocks[i] = AllocateBlock(size);
  // Blocks stay live: the recorder's exit dump is taken with all of them in its live table.
  return 0;
}
