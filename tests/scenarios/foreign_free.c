/* Frees pointers the recorder may never have seen:
 *   - blocks libearly's constructor allocated before the preload initialised (early_alloc),
 *     half freed with free, half grown with realloc first (early_grow) then freed;
 *   - blocks from glibc's __libc_malloc/__libc_calloc/__libc_memalign, which bypass any
 *     interposer: freed with free, and one grown by realloc and kept (foreign_realloc).
 * Expected: no crash, exit 0; early_alloc and early_grow live 0; foreign_realloc live 1 x 5000. */
#include <malloc.h>
#include <string.h>

#include "scenario.h"

void** early_blocks(int* count);
extern void* __libc_malloc(size_t size);
extern void* __libc_calloc(size_t n, size_t size);
extern void* __libc_memalign(size_t alignment, size_t size);

static void* kept;

NOINLINE void* early_grow(void* p) { return realloc(p, 3000); }

NOINLINE void foreign_frees(void) {
  for (int i = 0; i < 20; ++i) {
    void* p = __libc_malloc(16 + (size_t)i * 100);
    CHECK(p != NULL && malloc_usable_size(p) >= 16 + (size_t)i * 100);
    free(p);
  }
  free(__libc_calloc(10, 10));
  free(__libc_memalign(256, 1000));
}

NOINLINE void foreign_realloc(void) {
  char* p = __libc_malloc(50);
  CHECK(p != NULL);
  memset(p, 'f', 50);
  kept = realloc(p, 5000);
  CHECK(kept != NULL);
  for (int i = 0; i < 50; ++i) CHECK(((char*)kept)[i] == 'f');
}

int main(void) {
  int count = 0;
  void** early = early_blocks(&count);
  CHECK(count == 18);
  CHECK(strcmp((const char*)early[count - 1], "allocated before main") == 0);
  for (int i = 0; i < count; ++i) {
    CHECK(early[i] != NULL);
    if (i % 2 == 1) early[i] = early_grow(early[i]);
    CHECK(early[i] != NULL);
    free(early[i]);
  }
  foreign_frees();
  foreign_realloc();
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */
