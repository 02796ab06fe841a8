/* zlib streams under LD_PRELOAD with jemalloc: the recorder's stream allocator must hand out the
 * blocks the program's malloc would, jemalloc's, not glibc's. Linked with -lz and -ldl.
 *   deflate_leak   8 x deflateInit (level 6: about 256 KiB each), left open
 * Prints "glibc <bytes> jemalloc <bytes>": how much each allocator's in-use count grew while the
 * streams were opened (glibc: mallinfo2 uordblks + hblkhd; jemalloc: mallctl stats.allocated). */
#include <dlfcn.h>
#include <malloc.h>
#include <stdint.h>
#include <zlib.h>

#include "scenario.h"

typedef int (*MallctlFn)(const char*, void*, size_t*, void*, size_t);

static z_stream deflate_leaked[8];

static size_t GlibcInUse(void) {
  struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

static size_t JemallocAllocated(MallctlFn mallctl) {
  uint64_t epoch = 1;
  size_t size = sizeof(epoch);
  CHECK(mallctl("epoch", &epoch, &size, &epoch, size) == 0);
  size_t allocated = 0;
  size = sizeof(allocated);
  CHECK(mallctl("stats.allocated", &allocated, &size, NULL, 0) == 0);
  return allocated;
}

NOINLINE void deflate_leak(void) {
  for (int i = 0; i < 8; ++i) CHECK(deflateInit(&deflate_leaked[i], 6) == Z_OK);
}

int main(void) {
  MallctlFn mallctl = (MallctlFn)dlsym(RTLD_DEFAULT, "mallctl");
  CHECK(mallctl != NULL);
  size_t glibc_before = GlibcInUse();
  size_t jemalloc_before = JemallocAllocated(mallctl);
  deflate_leak();
  size_t glibc_after = GlibcInUse();
  size_t jemalloc_after = JemallocAllocated(mallctl);
  printf("glibc %zu jemalloc %zu\n", glibc_after > glibc_before ? glibc_after - glibc_before : 0,
         jemalloc_after > jemalloc_before ? jemalloc_after - jemalloc_before : 0);
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */
