// Captures the calling thread's native stack with libunwind (local-only, per-thread caching),
// without our own frames: the first PC returned is the return address into whoever called the
// hooked function.
#pragma once

#include <cstdint>

#include "thread_state.h"

namespace leakscope {

// Prepares libunwind and learns our own code's address range. Call once, guarded.
void InitUnwinder();

// Fills pcs[0..) with at most max_depth return addresses, innermost first, and sets *depth
// (0: the unwind failed). Returns false when the call did not come through one of our hooks but
// from our own code (the static C++ runtime's start-up allocations, before any guard existed):
// such allocations are the recorder's, not the program's. Must run under a guard: libunwind may
// allocate.
bool CaptureStack(const ReentrancyGuard& guard, uint64_t* pcs, uint32_t max_depth, uint32_t* depth);

}  // namespace leakscope
