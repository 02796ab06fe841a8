/* Linked into foreign_free (not dlopened). Its constructor runs before the preload's own
 * constructor (the loader initialises it earlier), so early_alloc's blocks are allocated before
 * the recorder has initialised; foreign_free frees them later. */
#include <string.h>

#include "scenario.h"

enum { kEarly = 16 };
static void* early[kEarly + 2];

NOINLINE void early_alloc(void) {
  for (int i = 0; i < kEarly; ++i) early[i] = malloc(24 * (size_t)(i + 1));
  early[kEarly] = calloc(3, 50);
  early[kEarly + 1] = strdup("allocated before main");
}

__attribute__((constructor)) static void EarlyInit(void) { early_alloc(); }

__attribute__((visibility("default"))) void** early_blocks(int* count) {
  *count = kEarly + 2;
  return early;
}
/* SPDX-License-Identifier: Apache-2.0 */
