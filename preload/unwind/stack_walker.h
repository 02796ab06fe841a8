// SPDX-License-Identifier: Apache-2.0
// The recorder's stack walk, the only one it has: frame shapes from .eh_frame (cached by pc),
// return addresses read off the stack, a cache lookup and two loads per frame.
//
// It never guesses. A frame is stepped only by the unwind rule its module's .eh_frame gives for
// the pc, or, for the kernel's signal frame, by the ucontext the kernel laid out. Anything else
// ends the walk with the frames it has:
// - a return address in no module (JIT-compiled code, stubs, the interpreter) is kept as the
//   last frame, the boundary the analyzer shows as [jit]: a JVM's Java frames come from
//   AsyncGetCallTrace, which HotSpot makes safe, and past that boundary the frame pointer (rbp,
//   x29) is just another register to C2 code (reading through it is what crashed JVMs in
//   libunwind's fallback);
// - a rule that is not one of the simple shapes, or a module without unwind data for the pc;
// - on AArch64, a signal frame (x86-64 steps through the kernel's ucontext).
// Every load lies in [sp at the start, top of this thread's stack) (stack_bounds.h): a frame
// whose rule points elsewhere ends the walk before anything is read there.
//
// What it costs: bench/recorder_micro (Walk/8, Walk/64) and bench/RESULTS.md.
#pragma once

#include <cstdint>

#include "frame_shape_cache.h"
#include "stack_bounds.h"

namespace leakscope::recorder {

// A frame larger than this is taken as a sign of a wrong turn, and the walk gives up.
inline constexpr uint64_t kMaxFrameBytes = 1 << 20;

// Why a walk ended.
enum class WalkEnd : uint8_t {
  kOutermost,    // the unwind tables say the stack ends here (or the return address is 0)
  kMaxFrames,    // pcs is full
  kJit,          // the last frame is a return address in no module (JIT code): the boundary
  kUnsupported,  // the last frame's rule is not one the walk can follow with certainty
  kUnknownStack  // sp lies in no stack whose top the walk knows: no frame was read
};

struct Walk {
  int frames;
  WalkEnd end;
};

// Reads the 8 bytes at `address`, which the caller has proven lie inside the stack.
__attribute__((always_inline)) inline uint64_t LoadStackWord(uint64_t address) {
  return *reinterpret_cast<const uint64_t*>(address);
}

#if defined(__aarch64__)
// A return address without its pointer-authentication code (-mbranch-protection=pac-ret signs
// x30 before it is saved): XPACLRI, which is in the hint space, so a CPU without pointer
// authentication runs it as a nop, and an address that was never signed comes back unchanged.
__attribute__((always_inline)) inline uint64_t StripPointerAuthentication(uint64_t address) {
  uint64_t stripped;
  asm("mov x30, %1\n\t"
      "hint #7\n\t"  // xpaclri
      "mov %0, x30"
      : "=r"(stripped)
      : "r"(address)
      : "x30");
  return stripped;
}
#endif

// Walks the calling thread's stack into pcs[0, max): pcs[0] is the pc in the function WalkStack
// is inlined into, then the return addresses outwards (the frame after a signal frame is the
// interrupted pc itself). Always inlined, so the first frame is the caller's own, with no frame
// of ours to step through.
#if defined(__x86_64__)
__attribute__((always_inline)) inline Walk WalkStack(FrameShapeCache& cache, uint64_t* pcs,
                                                     int max) {
  uint64_t pc, sp, bp;
  // One asm statement, so the three are taken at the same instruction: the CFA rule for `pc`
  // describes this `sp`.
  asm volatile(
      "lea 0(%%rip), %0\n\t"
      "mov %%rsp, %1\n\t"
      "mov %%rbp, %2"
      : "=r"(pc), "=r"(sp), "=r"(bp));
  const uint64_t top = StackTopAbove(sp);
  if (top == 0) return Walk{0, WalkEnd::kUnknownStack};
  uint64_t lookup = pc;  // the innermost pc is exact; a return address is looked up as ra - 1
  int n = 0;
  while (n < max) {
    pcs[n++] = pc;
    FrameShape shape;
    switch (cache.Lookup(lookup, &shape)) {
      case FrameShapeCache::Answer::kStep:
        break;
      case FrameShapeCache::Answer::kOutermost:
        return Walk{n, WalkEnd::kOutermost};
      case FrameShapeCache::Answer::kNoModule:
        return Walk{n, WalkEnd::kJit};
      case FrameShapeCache::Answer::kUnsupported:
        return Walk{n, WalkEnd::kUnsupported};
      case FrameShapeCache::Answer::kSignalFrame: {
        // sp is the ucontext the kernel pushed; the interrupted frame's sp lies above it, on
        // the same stack (a handler on an alternate stack fails the check and ends the walk).
        if (top - sp < kSignalContextRip + 8) return Walk{n, WalkEnd::kUnsupported};
        uint64_t interrupted_sp = LoadStackWord(sp + kSignalContextRsp);
        if (interrupted_sp <= sp || interrupted_sp >= top) return Walk{n, WalkEnd::kUnsupported};
        pc = LoadStackWord(sp + kSignalContextRip);
        bp = LoadStackWord(sp + kSignalContextRbp);
        sp = interrupted_sp;
        if (pc == 0) return Walk{n, WalkEnd::kOutermost};
        lookup = pc;  // the interrupted instruction itself, not a return address
        continue;
      }
    }
    uint64_t cfa = (shape.cfa_from_fp ? bp : sp) + static_cast<uint64_t>(shape.cfa_offset);
    // Each caller's frame lies above its callee's, and inside the stack: anything else is a
    // wrong turn. Both loads below are then in [sp, top).
    if (cfa < sp + 8 || cfa - sp > kMaxFrameBytes || cfa > top) {
      return Walk{n, WalkEnd::kUnsupported};
    }
    uint64_t return_address = LoadStackWord(cfa - 8);
    if (shape.fp_offset != 0) {
      uint64_t saved_rbp = cfa + static_cast<int64_t>(shape.fp_offset);
      if (saved_rbp < sp) return Walk{n, WalkEnd::kUnsupported};
      bp = LoadStackWord(saved_rbp);
    }
    pc = return_address;
    sp = cfa;
    if (pc == 0) return Walk{n, WalkEnd::kOutermost};
    lookup = pc - 1;
  }
  return Walk{n, WalkEnd::kMaxFrames};
}

#elif defined(__aarch64__)
__attribute__((always_inline)) inline Walk WalkStack(FrameShapeCache& cache, uint64_t* pcs,
                                                     int max) {
  uint64_t pc, sp, fp, lr;
  // One asm statement, so the four are taken at the same CFI row: the rule for `pc` describes
  // this sp, and says whether x29 and x30 still hold the caller's values. The registers are read
  // before any output is written (an output may be x29 or x30 where this function saved them,
  // and then the rule does not use them), and pc last: no CFI row starts inside the statement.
  asm volatile(
      "mov %2, x29\n\t"
      "mov %3, x30\n\t"
      "mov %1, sp\n\t"
      "adr %0, ."
      : "=r"(pc), "=r"(sp), "=r"(fp), "=r"(lr));
  const uint64_t top = StackTopAbove(sp);
  if (top == 0) return Walk{0, WalkEnd::kUnknownStack};
  // x30 holds this frame's return address only in the innermost frame: a caller's x30 was
  // overwritten by its own call, so a caller whose rule says "unchanged" is a wrong turn.
  bool lr_live = true;
  uint64_t lookup = pc;  // the innermost pc is exact; a return address is looked up as ra - 1
  int n = 0;
  while (n < max) {
    pcs[n++] = pc;
    FrameShape shape;
    switch (cache.Lookup(lookup, &shape)) {
      case FrameShapeCache::Answer::kStep:
        break;
      case FrameShapeCache::Answer::kOutermost:
        return Walk{n, WalkEnd::kOutermost};
      case FrameShapeCache::Answer::kNoModule:
        return Walk{n, WalkEnd::kJit};
      case FrameShapeCache::Answer::kUnsupported:
      case FrameShapeCache::Answer::kSignalFrame:  // not stepped through on AArch64 (yet)
        return Walk{n, WalkEnd::kUnsupported};
    }
    uint64_t cfa = (shape.cfa_from_fp ? fp : sp) + static_cast<uint64_t>(shape.cfa_offset);
    // Each caller's frame lies at or above its callee's (a leaf's CFA is its sp), and inside the
    // stack: anything else is a wrong turn. Both saved registers lie in [sp, cfa) (their offsets
    // are at most -8), so every load below is in [sp, top).
    if (cfa < sp || cfa - sp > kMaxFrameBytes || cfa > top) {
      return Walk{n, WalkEnd::kUnsupported};
    }
    uint64_t return_address;
    if (shape.ra_offset != 0) {
      uint64_t saved_ra = cfa + static_cast<int64_t>(shape.ra_offset);
      if (saved_ra < sp) return Walk{n, WalkEnd::kUnsupported};
      return_address = LoadStackWord(saved_ra);
    } else {
      if (!lr_live) return Walk{n, WalkEnd::kUnsupported};
      return_address = lr;
    }
    if (shape.fp_offset != 0) {
      uint64_t saved_fp = cfa + static_cast<int64_t>(shape.fp_offset);
      if (saved_fp < sp) return Walk{n, WalkEnd::kUnsupported};
      fp = LoadStackWord(saved_fp);
    }
    lr_live = false;
    pc = StripPointerAuthentication(return_address);
    sp = cfa;
    if (pc == 0) return Walk{n, WalkEnd::kOutermost};
    lookup = pc - 1;
  }
  return Walk{n, WalkEnd::kMaxFrames};
}
#else
#error "stack_walker: no register capture for this architecture"
#endif

}  // namespace leakscope::recorder
