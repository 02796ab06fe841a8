// Loaded by agent_routing after the agent routed the calls: its own slots (lazy binding, so
// writable) must be routed when dlopen returns.
#include <stdlib.h>

static void* g_kept[50];

__attribute__((visibility("default"), noinline)) void routed_late_leak(void) {
  for (int i = 0; i < 50; i++) g_kept[i] = calloc(1, 3000);
}
// SPDX-License-Identifier: Apache-2.0
