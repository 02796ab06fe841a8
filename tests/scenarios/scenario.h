/* Shared by the scenario programs: each is a tiny C program run under the preload by
 * scenario_*_test.cc, which knows exactly what it allocates. Built with -O1 -fno-builtin
 * -fno-optimize-sibling-calls -fno-tree-loop-optimize (see tests/scenarios/CMakeLists.txt) so
 * every allocation happens, at the call it appears at (loops are not unrolled into several call
 * sites), in the function it appears in. */
#ifndef LEAKSCOPE_TESTS_SCENARIOS_SCENARIO_H_
#define LEAKSCOPE_TESTS_SCENARIOS_SCENARIO_H_

#include <stdio.h>
#include <stdlib.h>

/* Functions whose frames the tests look for: never inlined, kept in the symbol table. */
#define NOINLINE __attribute__((noinline, used))

/* A store the compiler must keep, so a block that is freed right away is still allocated. */
static void* volatile scenario_sink;
static inline void* Sink(void* p) {
  scenario_sink = p;
  return p;
}

/* The program checks what only it can see (return values, errno, alignment) and exits 100 on a
 * failed check, saying which on stderr. */
#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      exit(100);                                                               \
    }                                                                          \
  } while (0)

#endif /* LEAKSCOPE_TESTS_SCENARIOS_SCENARIO_H_ */
// SPDX-License-Identifier: Apache-2.0
