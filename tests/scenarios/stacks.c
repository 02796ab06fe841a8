/* Stack shapes and table capacities. Modes (argv[1]):
 *   deep          descend 30 levels deep, then leak 1 x 4242 B: a site whose 30 innermost user
 *                 frames are descend, then main
 *   many-stacks   50 distinct stacks (descend 0..49 levels), each leaking 1 x 100 B
 *   many-blocks   2000 x 48 B from one site (many_blocks)
 *   signal        a SIGUSR1 handler leaks 1 x 777 B (in_handler); raise_here raised it, from
 *                 main: the stack runs through the kernel's signal frame */
#include <signal.h>
#include <string.h>

#include "scenario.h"

static void* kept[2048];
static int kept_count;

static void Keep(void* p) {
  CHECK(p != NULL && kept_count < 2048);
  kept[kept_count++] = p;
}

NOINLINE void* descend(int levels, size_t size) {
  if (levels == 0) return malloc(size);
  void* p = descend(levels - 1, size);
  __asm__ volatile("" ::: "memory"); /* work after the call: no tail call */
  return p;
}

NOINLINE void many_blocks(void) {
  for (int i = 0; i < 2000; ++i) Keep(malloc(48));
}

NOINLINE void in_handler(int signo) {
  (void)signo;
  Keep(malloc(777));
}

NOINLINE void raise_here(void) {
  CHECK(raise(SIGUSR1) == 0);
  __asm__ volatile("" ::: "memory");
}

int main(int argc, char** argv) {
  CHECK(argc == 2);
  if (strcmp(argv[1], "deep") == 0) {
    Keep(descend(29, 4242)); /* 30 frames of descend */
  } else if (strcmp(argv[1], "many-stacks") == 0) {
    for (int i = 0; i < 50; ++i) Keep(descend(i, 100));
  } else if (strcmp(argv[1], "many-blocks") == 0) {
    many_blocks();
  } else if (strcmp(argv[1], "signal") == 0) {
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = in_handler;
    CHECK(sigaction(SIGUSR1, &action, NULL) == 0);
    raise_here();
  } else {
    return 2;
  }
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */
