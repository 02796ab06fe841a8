/* Allocates and frees everything; no site of its own may hold live bytes at exit.
 *   alloc_blocks    100 blocks of 8, 16, ..., 800 B (40400 B), freed later by free_blocks
 *   churn           1000 x malloc(64) + free
 *   big_then_free   one 2 MiB block (mmap), freed
 *   calloc_then_free 10 x calloc(7, 9) + free */
#include "scenario.h"

static void* blocks[100];

NOINLINE void alloc_blocks(void) {
  for (int i = 0; i < 100; ++i) {
    blocks[i] = malloc(8 * (size_t)(i + 1));
    CHECK(blocks[i] != NULL);
  }
}

NOINLINE void free_blocks(void) {
  /* Every other one first, so the frees do not simply unwind the heap. */
  for (int i = 0; i < 100; i += 2) free(blocks[i]);
  for (int i = 99; i > 0; i -= 2) free(blocks[i]);
}

NOINLINE void churn(void) {
  for (int i = 0; i < 1000; ++i) free(Sink(malloc(64)));
}

NOINLINE void big_then_free(void) { free(Sink(malloc(2 << 20))); }

NOINLINE void calloc_then_free(void) {
  for (int i = 0; i < 10; ++i) free(Sink(calloc(7, 9)));
}

int main(void) {
  alloc_blocks();
  churn();
  big_then_free();
  calloc_then_free();
  free_blocks();
  free(NULL); /* a no-op that must stay one */
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */
