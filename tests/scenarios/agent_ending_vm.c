// SPDX-License-Identifier: Apache-2.0
// Calls libleakscope.so's Agent_OnAttach with a JavaVM past its live phase, as when `leakscope
// attach` races a JVM's exit: JVMTI then hands out no environment (GetEnv returns JNI_EDETACHED).
// The agent must refuse (agent_codes.h kVmEnding) before it starts anything.
//
//   agent_ending_vm LIBLEAKSCOPE OPTIONS
//
// Prints the return code. The fake VM is the JNI invocation table's layout: three reserved
// entries, DestroyJavaVM, AttachCurrentThread, DetachCurrentThread, GetEnv, ...
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef int (*AgentFn)(void* vm, char* options, void* reserved);

enum { kJniEDetached = -2, kGetEnvIndex = 6 };

static int g_get_env_calls;

static int get_env_past_live_phase(void* vm, void** env, int version) {
  (void)vm;
  (void)version;
  g_get_env_calls++;
  *env = NULL;
  return kJniEDetached;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  static void* invoke_table[8];
  invoke_table[kGetEnvIndex] = (void*)get_env_past_live_phase;
  void* vm = invoke_table;  // a JavaVM is a pointer to its function table
  void* agent_library = dlopen(argv[1], RTLD_NOW);
  if (agent_library == NULL) {
    fprintf(stderr, "%s\n", dlerror());
    return 3;
  }
  AgentFn attach = (AgentFn)dlsym(agent_library, "Agent_OnAttach");
  if (attach == NULL) return 4;
  printf("attach %d\n", attach(&vm, argv[2], NULL));
  printf("GetEnv calls %d\n", g_get_env_calls);
  // What a started recorder would have recorded, had the refusal come too late.
  void* kept = malloc(5000);
  printf("kept %p\n", kept);
  return 0;
}
