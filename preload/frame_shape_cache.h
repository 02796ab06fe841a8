// Frame shapes by pc, so the stack walk reads .eh_frame once per pc rather than once per sample.
//
// One 64-bit word per entry, written and read whole (relaxed atomics), so no reader can see one
// pc's key with another pc's shape whatever the races between writers:
//   bits  0-46  the pc looked up (user-space code lies below 2^47; higher pcs are not cached)
//   bit     47  CFA from rbp (else rsp)
//   bits 48-57  CFA offset / 8 (1..1023); 0 marks a pc whose walk ends (outermost: bit 47 clear)
//               or needs libunwind (bit 47 set)
//   bits 58-63  -(rbp offset) / 8 (0: rbp unchanged, 1..63)
// Shapes outside those ranges are not cached: FindFrameShape answers for them on every walk.
// Direct-mapped, 4096 entries (32 KiB): a colliding pc evicts the other, which is only slower.
//
// Entries stay valid while their module stays loaded; dlclose must Clear() the cache, or a
// library mapped later at the same address would be walked by the old one's shapes.
#pragma once

#include <atomic>
#include <cstdint>

#include "frame_shape.h"

namespace leakscope {

class FrameShapeCache {
 public:
  // What Lookup tells the walk about a pc.
  enum class Answer { kStep, kOutermost, kNeedsLibunwind };

  // The shape at `pc` (an exact instruction address, as FindFrameShape takes it), from the cache
  // or else from .eh_frame (then cached). kNeedsLibunwind: no module, no usable unwind data, or a
  // rule that is not simple.
  __attribute__((always_inline)) Answer Lookup(uintptr_t pc, FrameShape* out) {
    std::atomic<uint64_t>& entry = entries_[Index(pc)];
    uint64_t word = entry.load(std::memory_order_relaxed);
    if (__builtin_expect((word & kPcMask) == pc && pc != 0, 1)) return Decode(word, out);
    return Fill(pc, &entry, out);
  }

  // Forgets every entry (after a dlclose).
  void Clear();

  static constexpr int kIndexBits = 12;

 private:
  static constexpr uint64_t kPcMask = (1ull << 47) - 1;
  static constexpr int kFromRbpBit = 47, kCfaShift = 48, kRbpShift = 58;
  static constexpr uint64_t kFieldMask10 = 1023, kFieldMask6 = 63;

  static uint64_t Index(uintptr_t pc) { return (pc * 0x9E3779B97F4A7C15ull) >> (64 - kIndexBits); }
  static Answer Decode(uint64_t word, FrameShape* out) {
    uint64_t cfa_units = (word >> kCfaShift) & kFieldMask10;
    bool from_rbp = (word >> kFromRbpBit) & 1;
    if (cfa_units == 0) return from_rbp ? Answer::kNeedsLibunwind : Answer::kOutermost;
    out->outermost = false;
    out->cfa_from_rbp = from_rbp;
    out->cfa_offset = static_cast<int32_t>(cfa_units * 8);
    out->rbp_offset = -static_cast<int32_t>(((word >> kRbpShift) & kFieldMask6) * 8);
    return Answer::kStep;
  }
  // The slow path: reads .eh_frame and caches what it can.
  Answer Fill(uintptr_t pc, std::atomic<uint64_t>* entry, FrameShape* out);

  std::atomic<uint64_t> entries_[1 << kIndexBits] = {};
};

}  // namespace leakscope
