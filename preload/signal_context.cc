#include "signal_context.h"

#include <signal.h>

#include <cstdint>

#include "unwinder.h"

namespace leakscope::recorder {

SignalContext FindSignalContext(const ReentrancyGuard&) {
  stack_t alternate;
  if (sigaltstack(nullptr, &alternate) == 0 && (alternate.ss_flags & SS_ONSTACK) != 0) {
    return SignalContext::kHandler;
  }
  constexpr int kMaxFrames = 512;
  uint64_t pcs[kMaxFrames];
  Walk walk = WalkStack(g_frame_shapes, pcs, kMaxFrames);
  // pcs[0] is this function's own pc; every later one is a return address, and a handler
  // returns into the rt_sigreturn trampoline, whose rule is the signal frame's. The walk stepped
  // through such a frame (or stopped at it) with the same cached answer.
  for (int i = 1; i < walk.frames; ++i) {
    FrameShape shape;
    if (g_frame_shapes.Lookup(pcs[i] - 1, &shape) == FrameShapeCache::Answer::kSignalFrame) {
      return SignalContext::kHandler;
    }
  }
  switch (walk.end) {
    case WalkEnd::kOutermost:
    case WalkEnd::kJit:
      return SignalContext::kNone;
    case WalkEnd::kMaxFrames:
    case WalkEnd::kUnsupported:
    case WalkEnd::kUnknownStack:
      break;
  }
  return SignalContext::kCannotTell;
}

}  // namespace leakscope::recorder
