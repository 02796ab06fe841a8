/* A position-dependent executable that takes the address of malloc and free, as Debian's
 * /usr/bin/python3 does: the address the whole process then sees for each is the program's own
 * PLT stub (exported with an undefined symbol), which jumps to the first definition, our hook.
 * Forwarding to that address instead of the real malloc recursed until the stack overflowed.
 *   keep_through_pointer   3 x 1000 B kept, allocated through the pointer
 *   64 B allocated and freed through the pointers */
#include "scenario.h"

/* Assigned in code: position-dependent code takes an address with an absolute relocation, which
 * is what makes the linker export the stub (a pointer initialized in data would not). */
void* (*volatile malloc_pointer)(size_t);
void (*volatile free_pointer)(void*);
static void* kept[3];

NOINLINE void keep_through_pointer(void) {
  for (int i = 0; i < 3; ++i) {
    kept[i] = malloc_pointer(1000);
    CHECK(kept[i] != NULL);
  }
}

int main(void) {
  malloc_pointer = malloc;
  free_pointer = free;
  keep_through_pointer();
  free_pointer(Sink(malloc_pointer(64)));
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */
