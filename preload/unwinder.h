// Captures the calling thread's native stack with libunwind (local-only, per-thread caching),
// without our own frames: the first PC returned is the return address into whoever called the
// hooked function.
#pragma once

#include <cstdint>

#include "options.h"  // kMaxDepth
#include "thread_state.h"

// libunwind's entry point, declared here rather than through <libunwind.h> and its macros.
extern "C" int unw_backtrace(void** buffer, int size);

namespace leakscope {

// Prepares libunwind and learns our own code's address range. Call once, guarded.
void InitUnwinder();

// Frames of ours (and libunwind's) a walk may start with, beyond what the caller keeps.
inline constexpr int kOwnFramesSlack = 8;

// Picks the program's frames out of a raw walk (what follows the first run of ours) into
// pcs[0..max_depth) and sets *depth. False when the outermost of our frames is not a hook: the
// allocation came from our own code.
bool KeepProgramFrames(void* const* raw, int n, uint64_t* pcs, uint32_t max_depth,
                       uint32_t* depth);

// Fills pcs[0..) with at most max_depth return addresses, innermost first, and sets *depth
// (0: the unwind failed). Returns false when the call did not come through one of our hooks but
// from our own code (the static C++ runtime's start-up allocations, before any guard existed):
// such allocations are the recorder's, not the program's. Must run under a guard: libunwind may
// allocate.
//
// Always inlined, so the walk starts in the recorder function that called it: every frame of
// ours is one more frame libunwind must step through (~80 instructions each, on every sample).
__attribute__((always_inline)) inline bool CaptureStack(const ReentrancyGuard&, uint64_t* pcs,
                                                        uint32_t max_depth, uint32_t* depth) {
  void* raw[kMaxDepth + kOwnFramesSlack];
  int n = unw_backtrace(raw, static_cast<int>(max_depth) + kOwnFramesSlack);
  return KeepProgramFrames(raw, n, pcs, max_depth, depth);
}

}  // namespace leakscope
