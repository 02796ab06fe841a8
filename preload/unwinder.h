// SPDX-License-Identifier: Apache-2.0
// Captures the calling thread's native stack, without our own frames: the first PC kept is the
// return address into whoever called the hooked function. The walk is the recorder's own
// (stack_walker.h): it never guesses, so it stops at JIT code and at frames it cannot prove.
#pragma once

#include <cstdint>

#include "core/options.h"  // kMaxDepth
#include "thread_state.h"
#include "unwind/frame_shape_cache.h"
#include "unwind/stack_walker.h"

namespace leakscope::recorder {

// Learns our own code's address range. Call once, guarded.
void InitUnwinder();

// Frame shapes by pc for WalkStack. Cleared by ForgetFrameShapes().
extern FrameShapeCache g_frame_shapes;

// After a dlclose: the unloaded library's shapes must not outlive it (see frame_shape_cache.h).
void ForgetFrameShapes();

// Frames of ours a walk may start with, beyond what the caller keeps.
inline constexpr int kOwnFramesSlack = 8;

// Where the program's frames are in a raw walk: raw[first, first + depth).
struct ProgramFrames {
  uint32_t first;
  uint32_t depth;
  WalkEnd end;  // CaptureStack: why the walk ended
};

// Finds the program's frames in a raw walk of n frames (what follows the first run of ours; at
// most max_depth). False when the outermost of our frames is not a hook: the allocation came
// from our own code.
bool FindProgramFrames(const uint64_t* raw, int n, uint32_t max_depth, ProgramFrames* out);

// Walks the calling thread's stack into raw[0..), which must have room for max_depth +
// kOwnFramesSlack frames, and finds the program's frames in it: return addresses, innermost
// first (depth 0: the walk found none). Returns false when the call did not come through one of
// our hooks but from our own code (the static C++ runtime's start-up allocations, before any
// guard existed): such allocations are the recorder's, not the program's.
//
// Always inlined, so the walk starts in the recorder function that called it: every frame of
// ours is one more frame to step through, on every sample. The frames stay where the walk wrote
// them (no copy).
__attribute__((always_inline)) inline bool CaptureStack(const ReentrancyGuard&, uint64_t* raw,
                                                        uint32_t max_depth, ProgramFrames* out) {
  Walk walk = WalkStack(g_frame_shapes, raw, static_cast<int>(max_depth) + kOwnFramesSlack);
  bool program = FindProgramFrames(raw, walk.frames, max_depth, out);
  // A walk kept to max_depth frames of the program's ended there, whatever came next.
  bool cut = out->depth == max_depth && static_cast<uint32_t>(walk.frames) - out->first > max_depth;
  out->end = cut ? WalkEnd::kMaxFrames : walk.end;
  return program;
}

}  // namespace leakscope::recorder
