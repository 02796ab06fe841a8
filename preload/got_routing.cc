// SPDX-License-Identifier: Apache-2.0
#include "got_routing.h"

#include <dlfcn.h>
#include <string.h>

#include <atomic>
#include <vector>

#include "core/raw_log.h"
#include "fork_gate.h"
#include "got_patcher.h"
#include "real_functions.h"
#include "thread_state.h"

namespace leakscope::recorder {
namespace {

// The hooks LD_PRELOAD would have bound (exports.map), but the agent's entry points and the
// launcher's JVM_FindClassFromBootLoader, which only matter at a JVM's start.
constexpr const char* kRoutedNames[] = {
    "malloc",
    "free",
    "calloc",
    "realloc",
    "reallocarray",
    "posix_memalign",
    "aligned_alloc",
    "memalign",
    "valloc",
    "pvalloc",
    "malloc_usable_size",
    "inflateInit_",
    "inflateInit2_",
    "inflateEnd",
    "deflateInit_",
    "deflateInit2_",
    "deflateEnd",
    "dlopen",
    "dlclose",
    "_exit",
    "_Exit",
};

std::atomic<bool> g_routing{false};

// The function a hook passes its call on to: zlib's in the zlib the process uses (often
// loaded RTLD_LOCAL by the JDK's libzip.so), the others' global definitions (real_functions.h).
void* ForwardsTo(const char* name) {
  if (strncmp(name, "inflate", 7) == 0 || strncmp(name, "deflate", 7) == 0) {
    return real::FindZlibFunction(name);
  }
  return real::GlobalDefinition(name);
}
std::vector<GotHook>* g_hooks = nullptr;  // set once, before g_routing; never freed

// Our own definitions of the routed names. Not &malloc: from inside the library that takes the
// process's binding, which is exactly what is not ours here. dlsym on our own handle looks in
// this library first.
std::vector<GotHook>* OwnHooks() {
  auto* hooks = new std::vector<GotHook>;
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&RouteCallsToHooks), &info) == 0 ||
      info.dli_fname == nullptr) {
    return hooks;
  }
  void* self = real::dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
  if (self == nullptr) return hooks;
  real::ResolveAll();
  for (const char* name : kRoutedNames) {
    void* function = dlsym(self, name);
    if (function == nullptr || !real::DefinedByUs(function)) continue;
    hooks->push_back({name, function, ForwardsTo(name)});
  }
  real::dlclose(self);
  return hooks;
}

}  // namespace

bool LoadedAtStart() {
  // The executable's handle searches the global scope alone. (RTLD_DEFAULT would not do: from a
  // library loaded RTLD_LOCAL it also searches that library's own scope, and finds us there.)
  void* global = real::dlopen(nullptr, RTLD_LAZY);
  void* entry = global != nullptr ? dlsym(global, "Agent_OnAttach") : nullptr;
  return entry != nullptr && real::DefinedByUs(entry);
}

unsigned RouteCallsToHooks() {
  ReentrancyGuard guard;
  if (g_hooks == nullptr) g_hooks = OwnHooks();
  GotPassResult pass;
  {
    ForkSection section(guard);  // a fork child must not inherit the pass's mutex held
    pass = PatchLoadedModules(*g_hooks);
  }
  g_routing.store(true, std::memory_order_release);
  RawLog(LogLevel::kInfo,
         "routing %u calls in %u modules to the recorder (%u modules still loading: later)",
         pass.slots_patched, pass.modules_patched, pass.modules_deferred);
  if (g_hooks->size() != sizeof(kRoutedNames) / sizeof(kRoutedNames[0])) {
    RawLog(LogLevel::kWarn, "only %zu of the %zu hooked functions could be found in %s",
           g_hooks->size(), sizeof(kRoutedNames) / sizeof(kRoutedNames[0]), "libleakscope.so");
  }
  return pass.slots_patched;
}

bool Routing() { return g_routing.load(std::memory_order_acquire); }

void RouteNewModules() {
  if (!Routing()) return;
  ReentrancyGuard guard;
  ForkSection section(guard);
  PatchLoadedModules(*g_hooks);
}

}  // namespace leakscope::recorder
