// SPDX-License-Identifier: Apache-2.0
// Frame shapes by pc, so the stack walk reads .eh_frame once per pc rather than once per sample.
//
// Direct-mapped, 4096 entries (32 KiB), indexed by the pc's low 12 bits (return addresses are
// spread evenly over them); a colliding pc evicts the other, which is only slower. One 64-bit
// word per entry, written and read whole (relaxed atomics), so no reader can see one pc's key
// with another pc's shape whatever the races between writers. On x86-64:
//   bits  0-34  pc >> 12: with the index, the whole pc (user-space code lies below 2^47;
//               higher pcs are not cached). Never 0 for code, so 0 is an empty entry.
//   bit     35  CFA from rbp (else rsp)
//   bits 36-48  CFA offset / 8 (1..8191); 0 marks a pc that is no step: then bits 49-62 say
//               which (kOutermost 0, kUnsupported 1, kSignalFrame 2)
//   bits 49-62  -(rbp offset) / 8 (0: rbp unchanged, 1..8192)
// Every shape FindFrameShape returns fits, however large the frame.
// On AArch64, whose user space reaches 2^48 (shared libraries are mapped just below it) and
// whose frames also say where the return address is:
//   bits  0-35  pc >> 12 (pcs at or above 2^48, with 52-bit address spaces, are not cached)
//   bit     36  CFA from x29 (else sp)
//   bits 37-49  CFA offset / 8 + 1 (1..8191); 0 marks a pc that is no step, as above, with
//               the code in bits 50-56
//   bits 50-56  -(x29 offset) / 8 (0: x29 unchanged, 1..127)
//   bits 57-63  -(x30 offset) / 8 (0: the return address is still in x30, 1..127)
// GCC and Clang save x29 and x30 together at the top of the frame's register save area, within
// 1 KiB of the CFA; a shape that does not fit (x29 or x30 saved further down) is not cached, and
// is read from .eh_frame again each time: slower, never wrong.
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
#if defined(__aarch64__)
  static constexpr int kPageBits = 48 - kIndexBits;
#else
  static constexpr int kPageBits = 47 - kIndexBits;
#endif
  static constexpr uint64_t kPageMask = (1ull << kPageBits) - 1;

  // A "no step" entry's code, in the fp field of an entry with CFA units 0.
  static constexpr uint64_t kOutermostCode = 0, kUnsupportedCode = 1, kSignalFrameCode = 2;

#if defined(__aarch64__)
  static constexpr int kFromFpBit = kPageBits, kCfaShift = kPageBits + 1;
  static constexpr int kFpShift = kCfaShift + 13, kRaShift = kFpShift + 7;
  static constexpr uint64_t kCfaUnitsMask = (1ull << 13) - 1, kFpUnitsMask = (1ull << 7) - 1,
                            kRaUnitsMask = (1ull << 7) - 1;
  static_assert(kRaShift + 7 == 64, "an entry is one word");

  static Answer Decode(uint64_t word, FrameShape* out) {
    uint64_t cfa_units = (word >> kCfaShift) & kCfaUnitsMask;
    uint64_t fp_units = (word >> kFpShift) & kFpUnitsMask;
    if (cfa_units == 0) {
      if (fp_units == kOutermostCode) return Answer::kOutermost;
      return fp_units == kSignalFrameCode ? Answer::kSignalFrame : Answer::kUnsupported;
    }
    out->outermost = false;
    out->cfa_from_fp = (word >> kFromFpBit) & 1;
    out->cfa_offset = static_cast<int32_t>((cfa_units - 1) * 8);
    out->fp_offset = -static_cast<int32_t>(fp_units * 8);
    out->ra_offset = -static_cast<int32_t>(((word >> kRaShift) & kRaUnitsMask) * 8);
    out->signal_frame = false;
    return Answer::kStep;
  }
  // The word for a step shape, or 0 when its fields do not fit.
  static uint64_t Encode(uint64_t page, const FrameShape& shape) {
    uint64_t cfa_units = static_cast<uint64_t>(shape.cfa_offset) / 8 + 1;
    uint64_t fp_units = static_cast<uint64_t>(-static_cast<int64_t>(shape.fp_offset)) / 8;
    uint64_t ra_units = static_cast<uint64_t>(-static_cast<int64_t>(shape.ra_offset)) / 8;
    if (cfa_units > kCfaUnitsMask || fp_units > kFpUnitsMask || ra_units > kRaUnitsMask) return 0;
    return page | static_cast<uint64_t>(shape.cfa_from_fp) << kFromFpBit | cfa_units << kCfaShift |
           fp_units << kFpShift | ra_units << kRaShift;
  }
#else
  static constexpr int kFromFpBit = kPageBits, kCfaShift = kPageBits + 1;
  static constexpr int kFpShift = kCfaShift + 13;
  static constexpr uint64_t kCfaUnitsMask = (1ull << 13) - 1, kFpUnitsMask = (1ull << 14) - 1;
  static_assert(kFpShift + 14 <= 64, "an entry is one word");

  static Answer Decode(uint64_t word, FrameShape* out) {
    uint64_t cfa_units = (word >> kCfaShift) & kCfaUnitsMask;
    uint64_t fp_units = (word >> kFpShift) & kFpUnitsMask;
    if (cfa_units == 0) {
      if (fp_units == kOutermostCode) return Answer::kOutermost;
      return fp_units == kSignalFrameCode ? Answer::kSignalFrame : Answer::kUnsupported;
    }
    out->outermost = false;
    out->cfa_from_fp = (word >> kFromFpBit) & 1;
    out->cfa_offset = static_cast<int32_t>(cfa_units * 8);
    out->fp_offset = -static_cast<int32_t>(fp_units * 8);
    out->signal_frame = false;
    return Answer::kStep;
  }
  // The word for a step shape, or 0 when its fields do not fit. FindFrameShape's ranges
  // (frame_shape.h: up to 65528 and down to -65536) always do.
  static uint64_t Encode(uint64_t page, const FrameShape& shape) {
    uint64_t cfa_units = static_cast<uint64_t>(shape.cfa_offset) / 8;
    uint64_t fp_units = static_cast<uint64_t>(-static_cast<int64_t>(shape.fp_offset)) / 8;
    if (cfa_units > kCfaUnitsMask || fp_units > kFpUnitsMask) return 0;
    return page | static_cast<uint64_t>(shape.cfa_from_fp) << kFromFpBit | cfa_units << kCfaShift |
           fp_units << kFpShift;
  }
#endif
  // The slow path: reads .eh_frame and caches what it can.
  Answer Fill(uintptr_t pc, std::atomic<uint64_t>* entry, FrameShape* out);

  std::atomic<uint64_t> entries_[1 << kIndexBits] = {};
  std::atomic<uint64_t> misses_{0};
};

}  // namespace leakscope::recorder
