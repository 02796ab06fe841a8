// SPDX-License-Identifier: Apache-2.0
// Frame shapes by pc, so the stack walk reads .eh_frame once per pc rather than once per sample.
//
// Direct-mapped, 4096 entries (32 KiB), indexed by the pc's low 12 bits (return addresses are
// spread evenly over them); a colliding pc evicts the other, which is only slower. One 64-bit
// word per entry, written and read whole (relaxed atomics), so no reader can see one pc's key
// with another pc's shape whatever the races between writers:
//   bits  0-34  pc >> 12: with the index, the whole pc (user-space code lies below 2^47;
//               higher pcs are not cached). Never 0 for code, so 0 is an empty entry.
//   bit     35  CFA from rbp (else rsp)
//   bits 36-48  CFA offset / 8 (1..8191); 0 marks a pc that is no step: then bits 49-62 say
//               which (kOutermost 0, kUnsupported 1, kSignalFrame 2)
//   bits 49-62  -(rbp offset) / 8 (0: rbp unchanged, 1..8192)
// Every shape FindFrameShape returns fits, however large the frame.
//
// Entries stay valid while their module stays loaded; dlclose must Clear() the cache, or a
// library mapped later at the same address would be walked by the old one's shapes.
#pragma once

#include <atomic>
#include <cstdint>

#include "frame_shape.h"

namespace leakscope::recorder {

class FrameShapeCache {
 public:
  // What Lookup tells the walk about a pc.
  enum class Answer {
    kStep,         // *out says how to step to the caller
    kOutermost,    // the unwind tables say the stack ends here
    kSignalFrame,  // the rt_sigreturn trampoline: the caller's registers are in the ucontext
    kNoModule,     // pc lies in no loaded module: JIT code, a stub, the interpreter
    kUnsupported,  // a module without unwind data for pc, or a rule that is not simple
  };

  // The shape at `pc` (an exact instruction address, as FindFrameShape takes it), from the cache
  // or else from .eh_frame (then cached; kNoModule never is, see Fill).
  __attribute__((always_inline)) Answer Lookup(uintptr_t pc, FrameShape* out) {
    std::atomic<uint64_t>& entry = entries_[pc & kIndexMask];
    uint64_t word = entry.load(std::memory_order_relaxed);
    if (__builtin_expect((word & kPageMask) == pc >> kIndexBits && word != 0, 1)) {
      return Decode(word, out);
    }
    return Fill(pc, &entry, out);
  }

  // Forgets every entry (after a dlclose).
  void Clear();

  // The pages of the table that hold an entry (for the recorder's own memory in dumps).
  uint64_t ResidentBytes() const;

  // Lookups that had to read .eh_frame (or find no module): the cache's misses.
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

  static constexpr int kIndexBits = 12;

 private:
  static constexpr uint64_t kIndexMask = (1ull << kIndexBits) - 1;
  static constexpr int kPageBits = 47 - kIndexBits;
  static constexpr uint64_t kPageMask = (1ull << kPageBits) - 1;
  static constexpr int kFromRbpBit = kPageBits, kCfaShift = kPageBits + 1;
  static constexpr int kRbpShift = kCfaShift + 13;
  static constexpr uint64_t kCfaUnitsMask = (1ull << 13) - 1, kRbpUnitsMask = (1ull << 14) - 1;
  static_assert(kRbpShift + 14 <= 64, "an entry is one word");

  // A "no step" entry's code, in the rbp field (bits 49-62) of an entry with CFA units 0.
  static constexpr uint64_t kOutermostCode = 0, kUnsupportedCode = 1, kSignalFrameCode = 2;

  static Answer Decode(uint64_t word, FrameShape* out) {
    uint64_t cfa_units = (word >> kCfaShift) & kCfaUnitsMask;
    uint64_t rbp_units = (word >> kRbpShift) & kRbpUnitsMask;
    if (cfa_units == 0) {
      if (rbp_units == kOutermostCode) return Answer::kOutermost;
      return rbp_units == kSignalFrameCode ? Answer::kSignalFrame : Answer::kUnsupported;
    }
    out->outermost = false;
    out->cfa_from_rbp = (word >> kFromRbpBit) & 1;
    out->cfa_offset = static_cast<int32_t>(cfa_units * 8);
    out->rbp_offset = -static_cast<int32_t>(rbp_units * 8);
    out->signal_frame = false;
    return Answer::kStep;
  }
  // The slow path: reads .eh_frame and caches what it can.
  Answer Fill(uintptr_t pc, std::atomic<uint64_t>* entry, FrameShape* out);

  std::atomic<uint64_t> entries_[1 << kIndexBits] = {};
  std::atomic<uint64_t> misses_{0};
};

}  // namespace leakscope::recorder
