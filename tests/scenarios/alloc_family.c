/* Every malloc-family entry point, with what each function leaves live (a realloc is a free of
 * the old block, charged to where that block was allocated, plus an allocation at the realloc):
 *   family_calloc          calloc(10, 100)                 live 1 x 1000
 *   grow_origin            malloc(100), later grown        live 0 (1 alloc, 1 free)
 *   grow_realloc           realloc(p, 200)                 live 1 x 200
 *   shrink_origin          malloc(5000), later shrunk      live 0
 *   shrink_realloc         realloc(p, 1000)                live 1 x 1000
 *   move_origin            malloc(64), later moved         live 0
 *   move_blocker           malloc(64) right after it       live 1 x 64
 *   move_realloc           realloc(p, 4 << 20), must move    live 1 x 65536
 *   realloc_null           realloc(NULL, 777)              live 1 x 777
 *   zero_origin            malloc(300), later realloc'd to 0   live 0
 *   realloc_zero           realloc(p, 0) -> NULL           live 0
 *   family_reallocarray    reallocarray(NULL, 10, 30)      live 1 x 300
 *   family_posix_memalign  posix_memalign(64, 1000)        live 1 x 1000
 *   family_aligned_alloc   aligned_alloc(256, 512)         live 1 x 512
 *   family_memalign        memalign(128, 300)              live 1 x 300
 *   family_valloc          valloc(5000)                    live 1 x 5000
 *   family_pvalloc         pvalloc(100)                    live 1 (size rounded to a page)
 *   aligned_then_free      posix_memalign(4096, 10000), aligned_alloc(64, 128),
 *                          memalign(32, 96), each freed    live 0 (3 allocs, 3 frees)
 *   usable_then_free       malloc(100), malloc_usable_size, free   live 0 */
#include <malloc.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"

static void* kept[32];
static int kept_count;

static void Keep(void* p) {
  CHECK(p != NULL);
  kept[kept_count++] = p;
}

static int Aligned(const void* p, size_t alignment) { return ((uintptr_t)p % alignment) == 0; }

NOINLINE void family_calloc(void) {
  unsigned char* p = calloc(10, 100);
  CHECK(p != NULL);
  for (int i = 0; i < 1000; ++i) CHECK(p[i] == 0);
  Keep(p);
}

NOINLINE void* grow_origin(void) { return malloc(100); }
NOINLINE void grow_realloc(void* p) { Keep(realloc(p, 200)); }

NOINLINE void* shrink_origin(void) { return malloc(5000); }
NOINLINE void shrink_realloc(void* p) { Keep(realloc(p, 1000)); }

NOINLINE void* move_origin(void) { return malloc(64); }
NOINLINE void move_blocker(void) { Keep(malloc(64)); }
NOINLINE void* move_realloc(void* p) {
  void* q = realloc(p, 4 << 20);
  Keep(q);
  return q;
}

NOINLINE void realloc_null(void) { Keep(realloc(NULL, 777)); }

NOINLINE void* zero_origin(void) { return malloc(300); }
NOINLINE void realloc_zero(void* p) {
  /* glibc frees p and returns NULL. */
  CHECK(realloc(p, 0) == NULL);
}

NOINLINE void family_reallocarray(void) { Keep(reallocarray(NULL, 10, 30)); }

NOINLINE void family_posix_memalign(void) {
  void* p = NULL;
  CHECK(posix_memalign(&p, 64, 1000) == 0);
  CHECK(Aligned(p, 64));
  Keep(p);
}

NOINLINE void family_aligned_alloc(void) {
  void* p = aligned_alloc(256, 512);
  CHECK(p != NULL && Aligned(p, 256));
  Keep(p);
}

NOINLINE void family_memalign(void) {
  void* p = memalign(128, 300);
  CHECK(p != NULL && Aligned(p, 128));
  Keep(p);
}

NOINLINE void family_valloc(void) {
  void* p = valloc(5000);
  CHECK(p != NULL && Aligned(p, (size_t)sysconf(_SC_PAGESIZE)));
  Keep(p);
}

NOINLINE void family_pvalloc(void) {
  void* p = pvalloc(100);
  CHECK(p != NULL && Aligned(p, (size_t)sysconf(_SC_PAGESIZE)));
  Keep(p);
}

NOINLINE void aligned_then_free(void) {
  void* p = NULL;
  CHECK(posix_memalign(&p, 4096, 10000) == 0 && Aligned(p, 4096));
  free(Sink(p));
  p = aligned_alloc(64, 128);
  CHECK(p != NULL && Aligned(p, 64));
  free(Sink(p));
  p = memalign(32, 96);
  CHECK(p != NULL && Aligned(p, 32));
  free(Sink(p));
}

NOINLINE void usable_then_free(void) {
  void* p = malloc(100);
  CHECK(p != NULL && malloc_usable_size(p) >= 100);
  free(Sink(p));
}

int main(void) {
  family_calloc();

  char* p = grow_origin();
  CHECK(p != NULL);
  memset(p, 'g', 100);
  grow_realloc(p);
  for (int i = 0; i < 100; ++i) CHECK(((char*)kept[kept_count - 1])[i] == 'g');

  p = shrink_origin();
  CHECK(p != NULL);
  shrink_realloc(p);

  p = move_origin();
  CHECK(p != NULL);
  memset(p, 'm', 64);
  /* The chunk after p is now in use and 4 MiB is past the mmap threshold: the block moves. */
  move_blocker();
  char* moved = move_realloc(p);
  CHECK(moved != p);
  for (int i = 0; i < 64; ++i) CHECK(moved[i] == 'm');

  realloc_null();
  realloc_zero(zero_origin());
  family_reallocarray();
  family_posix_memalign();
  family_aligned_alloc();
  family_memalign();
  family_valloc();
  family_pvalloc();
  aligned_then_free();
  usable_then_free();
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */
