// Captures the calling thread's native stack, without our own frames: the first PC kept is the
// return address into whoever called the hooked function. The recorder's own walk
// (stack_walker.h) does it when it can, libunwind (local-only, per-thread caching) otherwise.
#pragma once

#include <cstdint>

#include "frame_shape_cache.h"
#include "options.h"  // kMaxDepth
#include "stack_walker.h"
#include "thread_state.h"

// libunwind's entry point, declared here rather than through <libunwind.h> and its macros.
extern "C" int unw_backtrace(void** buffer, int size);

namespace leakscope {

// Prepares libunwind and learns our own code's address range. Call once, guarded.
void InitUnwinder();

// Frame shapes by pc for WalkStack. Cleared by ForgetFrameShapes().
extern FrameShapeCache g_frame_shapes;

// After a dlclose: the unloaded library's shapes must not outlive it (see frame_shape_cache.h).
void ForgetFrameShapes();

// Frames of ours (and libunwind's) a walk may start with, beyond what the caller keeps.
inline constexpr int kOwnFramesSlack = 8;

// Where the program's frames are in a raw walk: raw[first, first + depth).
struct ProgramFrames {
  uint32_t first;
  uint32_t depth;
  bool by_libunwind;  // CaptureStack: libunwind walked (the recorder's own walk could not)
};

// Finds the program's frames in a raw walk of n frames (what follows the first run of ours; at
// most max_depth). False when the outermost of our frames is not a hook: the allocation came
// from our own code.
bool FindProgramFrames(const uint64_t* raw, int n, uint32_t max_depth, ProgramFrames* out);

// Walks the calling thread's stack into raw[0..), which must have room for max_depth +
// kOwnFramesSlack frames, and finds the program's frames in it: return addresses, innermost
// first (depth 0: the unwind failed). Returns false when the call did not come through one of
// our hooks but from our own code (the static C++ runtime's start-up allocations, before any
// guard existed): such allocations are the recorder's, not the program's. Must run under a
// guard: libunwind may allocate. `fast`: try the recorder's own walk first.
//
// Always inlined, so the walk starts in the recorder function that called it: every frame of
// ours is one more frame to step through, on every sample. The frames stay where the walk wrote
// them (no copy); libunwind writes void* and we read the same bits as uint64_t, across a
// library boundary no compiler sees through.
__attribute__((always_inline)) inline bool CaptureStack(const ReentrancyGuard&, uint64_t* raw,
                                                        uint32_t max_depth, bool fast,
                                                        ProgramFrames* out) {
  int limit = static_cast<int>(max_depth) + kOwnFramesSlack;
  int n = fast ? WalkStack(g_frame_shapes, raw, limit) : -1;
  bool by_libunwind = n < 0;
  if (by_libunwind) n = unw_backtrace(reinterpret_cast<void**>(raw), limit);
  bool program = FindProgramFrames(raw, n, max_depth, out);
  out->by_libunwind = by_libunwind;
  return program;
}

}  // namespace leakscope
