// Issue 17: a library loaded RTLD_DEEPBIND next to an allocator of its own (libownmalloc.so) keeps
// its bindings when the agent routes the process's calls (preload/got_patcher.h): its blocks made
// before the attach are freed after it by its own free(), not by glibc's.
//
//   agent_deepbind LIBLEAKSCOPE OPTIONS LIBOWNMALLOC
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef int (*AgentFn)(void* vm, char* options, void* reserved);

static void* g_kept[20];

__attribute__((noinline)) void leak_after_attach(void) {
  for (int i = 0; i < 20; i++) g_kept[i] = malloc(500);
}

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  setvbuf(stdout, NULL, _IONBF, 0);
  void* own = dlopen(argv[3], RTLD_NOW | RTLD_DEEPBIND);
  if (own == NULL) {
    printf("dlopen: %s\n", dlerror());
    return 1;
  }
  void* (*own_allocate)(size_t) = (void* (*)(size_t))dlsym(own, "own_allocate");
  void (*own_release)(void*) = (void (*)(void*))dlsym(own, "own_release");
  void* before[10];
  for (int i = 0; i < 10; i++) before[i] = own_allocate(64);

  void* agent_library = dlopen(argv[1], RTLD_NOW);
  if (agent_library == NULL) {
    printf("dlopen: %s\n", dlerror());
    return 1;
  }
  AgentFn attach = (AgentFn)dlsym(agent_library, "Agent_OnAttach");
  printf("attach %d\n", attach(NULL, argv[2], NULL));
  for (int i = 0; i < 10; i++) own_release(before[i]);  // aborts if routed to glibc's free
  void* after = own_allocate(64);
  own_release(after);
  leak_after_attach();
  printf("stop %d\n", attach(NULL, "stop", NULL));
  return 0;
}
// SPDX-License-Identifier: Apache-2.0
