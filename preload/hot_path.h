// SPDX-License-Identifier: Apache-2.0
// The per-call cost of every hook, inline.
//
// Budget for an unsampled allocation: a compare and a subtract on an initial-exec TLS counter,
// then a tail jump to the real malloc (no lock, no system call, no allocation, no shared write,
// no stack frame of ours). For a free: one load from the live table's filter (read-mostly, and
// local to the freed address) and a branch. Everything else is in the never-inlined slow paths
// (hooks_malloc.cc, recorder.cc): a hook that called a function itself would need a stack frame,
// which GCC sets up on entry, on the fast path too (AArch64), unless it can shrink-wrap it
// (x86-64).
#pragma once

#include <cstddef>
#include <cstdint>

#include "recorder.h"
#include "thread_state.h"

namespace leakscope::recorder {

// Counts `size` against this thread's countdown; true when this allocation is to be sampled
// (the caller then passes its result to SampleAllocation).
inline bool ShouldSample(size_t size) {
  ThreadState& t = t_state;
  if (__builtin_expect(size < t.bytes_until_sample, 1)) {
    t.bytes_until_sample -= size;
    return false;
  }
  return true;
}

// Whether p may be a sampled block (the live table's filter): then ForgetIfSampled must run
// before the real free. Once the block is back in malloc, another thread may get the same
// address, sample it and insert it, and we would then forget the wrong one.
inline bool MayBeSampled(void* p) {
  return __builtin_expect(g_recorder.live.MaybeContains(reinterpret_cast<uintptr_t>(p)), 0);
}

inline void BeforeFree(void* p) {
  if (MayBeSampled(p)) ForgetIfSampled(p);
}

}  // namespace leakscope::recorder
