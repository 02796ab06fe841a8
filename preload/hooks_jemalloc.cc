// SPDX-License-Identifier: Apache-2.0
// Recording through jemalloc's own hooks, for when jemalloc is in front of us in the global scope
// and the program's calls never reach hooks_malloc.cc.
//
// jemalloc calls the alloc hook after an allocation, the dalloc hook before a free (so we forget
// a block before its address can be handed out again, as in our free), and the expand hook after a
// realloc grew or shrank a block in place; a realloc that moves calls alloc on the new block, then
// dalloc on the old one. The callbacks live in the hooks' section: the unwinder keeps the frames
// outside the first run of ours, which start with jemalloc's own (the analyzer strips them by
// module) and then the program's call site.
//
// The ABI below is jemalloc 5's include/jemalloc/internal/hook.h (experimental, but unchanged from
// 5.1 to 5.3). Re-entrancy: jemalloc does not call hooks from inside a hook on the same thread,
// and SampleAllocation ignores allocations made inside the recorder.
#include <cstdint>

#include "allocator_front.h"
#include "export.h"
#include "hot_path.h"

namespace leakscope::recorder::jemalloc {
namespace {

enum AllocType : int {  // hook_alloc_t
  kMalloc,
  kPosixMemalign,
  kAlignedAlloc,
  kCalloc,
  kMemalign,
  kValloc,
  kMallocx,
  kRealloc,
  kRallocx,
};
enum ExpandType : int { kExpandRealloc, kExpandRallocx, kExpandXallocx };  // hook_expand_t

using AllocHook = void (*)(void* extra, int type, void* result, uintptr_t result_raw,
                           uintptr_t args[3]);
using DallocHook = void (*)(void* extra, int type, void* address, uintptr_t args[3]);
using ExpandHook = void (*)(void* extra, int type, void* address, size_t old_usize,
                            size_t new_usize, uintptr_t result_raw, uintptr_t args[4]);
struct Hooks {  // hooks_t
  AllocHook alloc;
  DallocHook dalloc;
  ExpandHook expand;
  void* extra;
};

// The size the program asked for, from the entry point's raw arguments; 0 for a failed call.
size_t RequestedSize(int type, uintptr_t result_raw, const uintptr_t args[3]) {
  size_t size;
  switch (type) {
    case kMalloc:
    case kValloc:
    case kMallocx:
      return args[0];
    case kPosixMemalign:  // (memptr, alignment, size); result_raw is the return code
      return result_raw == 0 ? args[2] : 0;
    case kAlignedAlloc:
    case kMemalign:
    case kRealloc:
    case kRallocx:
      return args[1];
    case kCalloc:
      return __builtin_mul_overflow(args[0], args[1], &size) ? 0 : size;
  }
  return 0;
}

// Called on jemalloc's slow path, which every allocation takes while hooks are installed: the
// same countdown as malloc's hook, and the same tail call into the recorder when it runs out.
__attribute__((noinline)) LEAKSCOPE_HOOK_SECTION void OnAlloc(void*, int type, void* result,
                                                              uintptr_t result_raw,
                                                              uintptr_t args[3]) {
  if (result == nullptr) return;
  size_t size = RequestedSize(type, result_raw, args);
  if (size == 0 && type == kPosixMemalign) return;
  if (__builtin_expect(!ShouldSample(size), 1)) return;
  SampleAllocation(result, size);
}

__attribute__((noinline)) LEAKSCOPE_HOOK_SECTION void OnDalloc(void*, int, void* address,
                                                               uintptr_t[3]) {
  BeforeFree(address);
}

// The block kept its address but not its size: forget the old sample, and count the new size as
// a fresh allocation, as our realloc hook does.
__attribute__((noinline)) LEAKSCOPE_HOOK_SECTION void OnExpand(void*, int type, void* address,
                                                               size_t, size_t new_usize, uintptr_t,
                                                               uintptr_t args[4]) {
  if (g_recorder.live.MaybeContains(reinterpret_cast<uintptr_t>(address))) {
    LiveTable::Entry unused;
    TakeSampled(address, &unused);
  }
  size_t size = type == kExpandXallocx ? new_usize : args[1];
  if (__builtin_expect(!ShouldSample(size), 1)) return;
  SampleAllocation(address, size);
}

}  // namespace

bool InstallHooks(MallctlFn mallctl) {
  // jemalloc copies the struct; the handle would only serve to remove them, which we never do
  // (the callbacks live as long as the process: a preload is never unloaded).
  Hooks hooks{OnAlloc, OnDalloc, OnExpand, nullptr};
  void* handle = nullptr;
  size_t handle_size = sizeof(handle);
  return mallctl("experimental.hooks.install", &handle, &handle_size, &hooks, sizeof(hooks)) == 0 &&
         handle != nullptr;
}

}  // namespace leakscope::recorder::jemalloc
