// SPDX-License-Identifier: Apache-2.0
#include "java_launcher.h"

#include <dlfcn.h>
#include <link.h>
#include <string.h>

#include <atomic>

#include "java_agent.h"

namespace leakscope::recorder::java {
namespace {

std::atomic<FindClassFromBootLoaderFn> g_real{nullptr};
std::atomic<bool> g_decided{false};

struct ModuleRange {
  const char* suffix;  // "/libjli.so"
  uintptr_t begin = 0, end = 0;
  char path[512] = {};
};

bool EndsWith(const char* s, const char* suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

// The executable segments' span of the loaded module whose path ends in range->suffix.
int FindModule(dl_phdr_info* info, size_t, void* data) {
  auto* range = static_cast<ModuleRange*>(data);
  if (info->dlpi_name == nullptr || !EndsWith(info->dlpi_name, range->suffix)) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_X) == 0) continue;
    uintptr_t begin = info->dlpi_addr + ph.p_vaddr;
    if (range->begin == 0 || begin < range->begin) range->begin = begin;
    if (begin + ph.p_memsz > range->end) range->end = begin + ph.p_memsz;
  }
  strncpy(range->path, info->dlpi_name, sizeof(range->path) - 1);
  return 1;
}

}  // namespace

FindClassFromBootLoaderFn RealFindClassFromBootLoader() {
  FindClassFromBootLoaderFn fn = g_real.load(std::memory_order_acquire);
  if (fn != nullptr) return fn;
  void* found = dlsym(RTLD_NEXT, "JVM_FindClassFromBootLoader");
  if (found == nullptr) {
    ModuleRange jvm{"/libjvm.so"};
    dl_iterate_phdr(FindModule, &jvm);
    // RTLD_NOLOAD: a handle to the copy already there, never a load.
    void* handle = jvm.path[0] ? dlopen(jvm.path, RTLD_LAZY | RTLD_NOLOAD) : nullptr;
    if (handle != nullptr) {
      found = dlsym(handle, "JVM_FindClassFromBootLoader");
      dlclose(handle);  // drops only the reference RTLD_NOLOAD added
    }
  }
  fn = reinterpret_cast<FindClassFromBootLoaderFn>(found);
  if (fn != nullptr) g_real.store(fn, std::memory_order_release);
  return fn;
}

bool LauncherDecided() { return g_decided.load(std::memory_order_acquire); }

void NoticeBootLoaderLookup(JNIEnv* env, void* caller, RecorderState recorder, StackTable& stacks,
                            std::span<const NativeWrapper> natives) {
  if (g_decided.load(std::memory_order_acquire)) return;
  if (recorder != RecorderState::kOn) {
    // Disabled, filtered out, or Java frames off: never anything to do. (A recorder still
    // initializing on another thread is not "disabled": decide on a later call.)
    if (recorder == RecorderState::kOff) g_decided.store(true);
    return;
  }
  // libjli is the java launcher's own library, loaded with the executable: its range never
  // changes, so looking it up on each early call (a few dozen before the VM is live) is enough.
  ModuleRange launcher{"/libjli.so"};
  dl_iterate_phdr(FindModule, &launcher);
  if (launcher.begin == 0) {
    g_decided.store(true);  // no launcher: a JVM embedded by some other program
    return;
  }
  auto pc = reinterpret_cast<uintptr_t>(caller);
  if (pc < launcher.begin || pc >= launcher.end) return;  // libjava, before the VM is live
  bool expected = false;
  if (!g_decided.compare_exchange_strong(expected, true)) return;
  StartFromLauncher(env, stacks, natives);
}

}  // namespace leakscope::recorder::java
