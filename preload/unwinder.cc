// SPDX-License-Identifier: Apache-2.0
#include "unwinder.h"

#include <link.h>  // ElfW()

#include "core/options.h"
#include "unwind/module_table.h"

// The ELF header of this shared object, placed by the linker at the start of our first segment.
extern "C" const ElfW(Ehdr) __ehdr_start __attribute__((visibility("hidden")));

namespace leakscope::recorder {
namespace {

extern "C" const char __start_leakscope_hooks[] __attribute__((visibility("hidden")));
extern "C" const char __stop_leakscope_hooks[] __attribute__((visibility("hidden")));

uintptr_t g_self_begin = 0;
uintptr_t g_self_end = 0;

// Our own address range, from our program headers in memory: no dl_iterate_phdr, so no loader
// lock (the first sample may happen inside another thread's dlopen).
void FindSelf() {
  const auto* ehdr = &__ehdr_start;
  const auto* phdrs =
      reinterpret_cast<const ElfW(Phdr)*>(reinterpret_cast<const char*>(ehdr) + ehdr->e_phoff);
  uintptr_t lowest = UINTPTR_MAX, highest = 0;
  for (int i = 0; i < ehdr->e_phnum; ++i) {
    if (phdrs[i].p_type != PT_LOAD) continue;
    if (phdrs[i].p_vaddr < lowest) lowest = phdrs[i].p_vaddr;
    if (phdrs[i].p_vaddr + phdrs[i].p_memsz > highest)
      highest = phdrs[i].p_vaddr + phdrs[i].p_memsz;
  }
  // __ehdr_start sits at the first PT_LOAD's address, so the bias is its address minus that vaddr.
  uintptr_t bias = reinterpret_cast<uintptr_t>(ehdr) - lowest;
  g_self_begin = bias + lowest;
  g_self_end = bias + highest;
}

bool IsOurs(uint64_t pc) { return pc - g_self_begin < g_self_end - g_self_begin; }

bool IsHookFrame(uint64_t pc) {
  return pc - reinterpret_cast<uintptr_t>(__start_leakscope_hooks) <
         static_cast<uintptr_t>(__stop_leakscope_hooks - __start_leakscope_hooks);
}

}  // namespace

constinit FrameShapeCache g_frame_shapes;

void ForgetFrameShapes() { g_frame_shapes.Clear(); }

void InitUnwinder() {
  FindSelf();
  InitModuleLookup();
}

bool FindProgramFrames(const uint64_t* raw, int n, uint32_t max_depth, ProgramFrames* out) {
  // raw[0] is the pc in the recorder function the walk was inlined into, then come our frames,
  // then the program's. Keep what follows the first run of ours. Only that run: a program's
  // allocator callback called by zlib called by our inflateInit2_ hook has our frames further
  // out, and they are its stack.
  int i = 0;
  while (i < n && IsOurs(raw[i])) ++i;
  int first = i;
  // The outermost of our frames is the hook the program called; anything else means our own code
  // allocated (a failed unwind, n == 0, is still the program's).
  if (first > 0 && !IsHookFrame(raw[first - 1])) return false;
    // No user-space return address is 0 or at or above the end of user space (2^47 on x86-64;
    // 2^48 on AArch64, whose shared libraries are mapped just below it); a stack word that says
    // otherwise (the walk keeps the last one it read, see WalkEnd::kJit) is no frame. Stop there,
    // so a stored native PC can never look like a tagged Java frame (format::IsJavaFrame).
#if defined(__aarch64__)
  constexpr uint64_t kUserSpaceEnd = 1ull << 48;
#else
  constexpr uint64_t kUserSpaceEnd = 1ull << 47;
#endif
  int end = n - first < static_cast<int>(max_depth) ? n : first + static_cast<int>(max_depth);
  int last = first;
  while (last < end && raw[last] - 1 < kUserSpaceEnd - 1) {  // 0 < pc < kUserSpaceEnd
    // Further out, our frames may only be hooks (the program's zalloc, called by zlib, called
    // by our inflateInit2_). Any other code of ours there allocated for itself through another
    // allocator's hooks: the static C++ runtime's start-up pool, when jemalloc stands in front
    // of the recorder and reports it through its own hooks.
    if (IsOurs(raw[last]) && !IsHookFrame(raw[last])) return false;
    ++last;
  }
  *out = ProgramFrames{static_cast<uint32_t>(first), static_cast<uint32_t>(last - first),
                       WalkEnd::kOutermost};
  return true;
}

}  // namespace leakscope::recorder
