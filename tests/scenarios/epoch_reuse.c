/* SPDX-License-Identifier: Apache-2.0 */
/* A library's addresses reused by the next one: dlopens argv[1] (libepoch_a.so), runs it (a
 * leak), dlcloses it and checks it is unmapped, then dlopens argv[2] (libepoch_b.so), which the
 * loader usually maps at the same address (the two have the same shape), runs it and keeps it.
 * Prints "same" or "moved" after the two load addresses: the test needs "same". */
#define _GNU_SOURCE /* dlinfo */
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>

#include "scenario.h"

static uintptr_t LoadAndRun(const char* path, void** handle) {
  *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (*handle == NULL) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    exit(2);
  }
  struct link_map* map = NULL;
  CHECK(dlinfo(*handle, RTLD_DI_LINKMAP, &map) == 0);
  void (*run)(void) = (void (*)(void))dlsym(*handle, "epoch_run");
  CHECK(run != NULL);
  run();
  return (uintptr_t)map->l_addr;
}

int main(int argc, char** argv) {
  CHECK(argc == 3);
  void* a;
  uintptr_t a_base = LoadAndRun(argv[1], &a);
  CHECK(dlclose(a) == 0);
  CHECK(dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD) == NULL);
  void* b;
  uintptr_t b_base = LoadAndRun(argv[2], &b);
  printf("%#lx %#lx %s\n", (unsigned long)a_base, (unsigned long)b_base,
         a_base == b_base ? "same" : "moved");
  return 0;
}
