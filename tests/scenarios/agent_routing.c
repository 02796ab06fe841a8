// Loads libleakscope.so the way a JVM loads an agent (dlopen, RTLD_LOCAL) into this running
// program, which never had LD_PRELOAD, and calls its Agent_OnAttach as the JVM would (no JavaVM:
// the recorder's native part alone). Issue 17: the agent routes the program's calls to its hooks
// by rewriting GOT slots.
//
//   agent_routing LIBLEAKSCOPE OPTIONS LIBROUTEDLATE [threads]
//
// Blocks allocated before the attach are freed and reallocated after it (they must pass straight
// through); leaks made after it, by this program (linked with full RELRO: its slots are
// read-only) and by a library dlopen'ed afterwards (lazy binding: writable slots), must be
// recorded; what is allocated after "stop" must not. With `threads`, that many threads allocate
// and free all along, through the attach, the routing and the stop. Prints each Agent_OnAttach
// return code.
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

typedef int (*AgentFn)(void* vm, char* options, void* reserved);

static void* g_kept[400];
static atomic_int g_stop_churn;

__attribute__((noinline)) void* allocate_before_attach(size_t n) { return malloc(n); }

__attribute__((noinline)) void leak_after_attach(void) {
  for (int i = 0; i < 100; i++) g_kept[i] = malloc(1000);
}

__attribute__((noinline)) void leak_after_stop(void) {
  for (int i = 200; i < 300; i++) g_kept[i] = malloc(777);
}

static void* churn(void* arg) {
  unsigned seed = (unsigned)(size_t)arg;
  void* slots[64] = {0};
  while (!atomic_load(&g_stop_churn)) {
    unsigned i = (seed = seed * 1103515245u + 12345u) % 64;
    free(slots[i]);
    slots[i] = (seed & 1) ? malloc(16 + seed % 4000) : calloc(1, 16 + seed % 200);
  }
  for (int i = 0; i < 64; i++) free(slots[i]);
  return NULL;
}

static int call(AgentFn agent, const char* options) { return agent(NULL, (char*)options, NULL); }

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  setvbuf(stdout, NULL, _IONBF, 0);  // no stdio buffer among the program's allocations
  int threads = argc > 4 ? atoi(argv[4]) : 0;
  pthread_t churners[8];
  if (threads > 8) threads = 8;
  for (int t = 0; t < threads; t++)
    pthread_create(&churners[t], NULL, churn, (void*)(size_t)(t + 1));

  void* early[50];
  for (int i = 0; i < 50; i++) early[i] = allocate_before_attach(2000);

  void* agent_library = dlopen(argv[1], RTLD_NOW);
  if (agent_library == NULL) {
    printf("dlopen: %s\n", dlerror());
    return 1;
  }
  AgentFn attach = (AgentFn)dlsym(agent_library, "Agent_OnAttach");
  printf("attach %d\n", call(attach, argv[2]));
  printf("attach again %d\n", call(attach, argv[2]));

  for (int i = 0; i < 25; i++) free(early[i]);
  for (int i = 25; i < 50; i++) early[i] = realloc(early[i], 4000);
  leak_after_attach();

  void* late = dlopen(argv[3], RTLD_NOW);
  if (late == NULL) {
    printf("dlopen: %s\n", dlerror());
    return 1;
  }
  ((void (*)(void))dlsym(late, "routed_late_leak"))();

  printf("stop %d\n", call(attach, "stop"));
  leak_after_stop();
  printf("stop again %d\n", call(attach, "stop"));
  printf("attach after stop %d\n", call(attach, argv[2]));

  atomic_store(&g_stop_churn, 1);
  for (int t = 0; t < threads; t++) pthread_join(churners[t], NULL);
  for (int i = 25; i < 50; i++) free(early[i]);
  return 0;
}
// SPDX-License-Identifier: Apache-2.0
