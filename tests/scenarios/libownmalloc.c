// A library with an allocator of its own, exported as malloc and free: loaded RTLD_DEEPBIND, its
// own calls bind to these, not to glibc's. Blocks come from a static arena; free() of anything
// else aborts, as a real private allocator would crash. agent_deepbind checks that the agent's
// routing leaves its slots alone (preload/got_patcher.h): routed to glibc, its free() of a block
// made before the attach would be glibc's free() of an arena address.
#include <stddef.h>
#include <stdlib.h>

static char g_arena[1 << 16] __attribute__((aligned(16)));
static size_t g_used;

__attribute__((visibility("default"))) void* malloc(size_t size) {
  size = (size + 15) & ~(size_t)15;
  if (g_used + size > sizeof(g_arena)) return NULL;
  void* p = g_arena + g_used;
  g_used += size;
  return p;
}

__attribute__((visibility("default"))) void free(void* p) {
  if (p != NULL && ((char*)p < g_arena || (char*)p >= g_arena + sizeof(g_arena))) abort();
}

// Calls through this library's own GOT slots (its malloc and free are preemptible symbols).
__attribute__((visibility("default"), noinline)) void* own_allocate(size_t size) {
  return malloc(size);
}

__attribute__((visibility("default"), noinline)) void own_release(void* p) { free(p); }
// SPDX-License-Identifier: Apache-2.0
