/* Requests that cannot be met must fail as glibc fails them (NULL or an error code, errno
 * ENOMEM) and must not be recorded; a failed realloc leaves the old block allocated.
 *   overflow_calls   calloc and reallocarray whose n * size overflows, malloc(SIZE_MAX),
 *                    aligned_alloc/posix_memalign/memalign of SIZE_MAX: live 0
 *   overflow_origin  malloc(128), then realloc(p, SIZE_MAX) fails: live 1 x 128
 * Exits 0 when every call failed the right way (100 and a message otherwise). */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>

#include "scenario.h"

static void* kept;

/* Sizes pass through a volatile so the compiler neither folds nor warns about them. */
static size_t Opaque(size_t v) {
  volatile size_t x = v;
  return x;
}

#define EXPECT_ENOMEM(call) \
  do {                      \
    errno = 0;              \
    CHECK((call) == NULL);  \
    CHECK(errno == ENOMEM); \
  } while (0)

NOINLINE void overflow_calls(void) {
  EXPECT_ENOMEM(calloc(Opaque(SIZE_MAX / 2 + 2), 2));
  EXPECT_ENOMEM(calloc(Opaque((size_t)1 << 33), Opaque((size_t)1 << 33)));
  EXPECT_ENOMEM(calloc(Opaque(SIZE_MAX), Opaque(SIZE_MAX)));
  EXPECT_ENOMEM(reallocarray(NULL, Opaque(SIZE_MAX), 2));
  EXPECT_ENOMEM(malloc(Opaque(SIZE_MAX)));
  EXPECT_ENOMEM(aligned_alloc(64, Opaque(SIZE_MAX - 4096)));
  EXPECT_ENOMEM(memalign(64, Opaque(SIZE_MAX - 4096)));
  void* p = &kept;
  CHECK(posix_memalign(&p, 64, Opaque(SIZE_MAX - 4096)) == ENOMEM);
}

NOINLINE void* overflow_origin(void) { return malloc(128); }

NOINLINE void realloc_too_big(void* p) {
  EXPECT_ENOMEM(realloc(p, Opaque(SIZE_MAX - 4096)));
  EXPECT_ENOMEM(reallocarray(p, Opaque(SIZE_MAX), 16));
}

int main(void) {
  overflow_calls();
  kept = overflow_origin();
  CHECK(kept != NULL);
  realloc_too_big(kept);
  ((volatile char*)kept)[127] = 1; /* still ours */
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */
