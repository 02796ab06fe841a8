// SPDX-License-Identifier: Apache-2.0
// Live sampled allocations: address -> {size, stack id, birth}, lock-free open addressing.
//
// Slots are {key, value}; key 0 = empty, 1 = tombstone, 2 = being written, else the address.
// Insert claims an empty or tombstone slot with CAS (to 2), writes the value, then publishes the
// key. Take finds the key and CASes it to a tombstone, so exactly one caller gets each entry.
// Probing is bounded to kWindow slots, so a full neighbourhood drops the sample (counted) instead
// of searching on; lookups stop at the first empty slot.
//
// Where an address lives (HomeSlot) depends on how dense the table's addresses can be:
// - Sampled: one slot per granule of 2^G bytes of address space, G = log2(mean interval) - 5,
//   so a region of heap maps to a run of slots in the same order (each 2^(G + slot bits) chunk
//   of address space is rotated by a hash of the chunk, so distant heaps do not pile up on the
//   same slots). A sample at least every mean interval of bytes on average puts at most 1/32 of
//   a sample in a granule, so runs stay short. What this buys is locality: a program churning
//   a few MiB of heap churns a few pages of the table, which stay in cache and in the TLB; a
//   hashed home slot made every insert and every take a cache miss on a random page (in
//   bench/churn at default sampling, 10 % of the run time; under 1 % with this layout).
// - Exact (every allocation recorded, or intervals under 512 bytes): every chunk of a dense
//   heap is in the table, so addresses are hashed: a run of neighbours would overflow the probe
//   window.
//
// In front of the table sits a counting filter with one counter per 256-byte granule of address
// space (granule number modulo the filter size, no hashing). MaybeContains() is all that free()
// of an unsampled pointer pays for. Indexing by address keeps locality: a program frees what it
// touched recently, so the counters it reads share a few hot cache lines (a hashed filter missed
// the cache on nearly every free). False positives stay rare while few granules hold a live
// sample, which is what sampling means; 256-byte granules keep a 4 MiB heap within 256 lines.
// Counters saturate at 255 and then stay "maybe".
//
// Birth times (the recorder clock, in seconds, when the block was recorded) sit in an array of
// their own, parallel to the slots: a 16-byte slot has no room for them, and a slot that never
// straddles a page is what NoteWrite's single mark relies on. Insert writes the birth before it
// publishes the key, so whoever sees the key (Take, ForEach) sees the birth that goes with it.
// What it costs: 4 bytes per slot (reserved with the slots, resident as they fill), and on a
// sample a second line touched (Prefetch starts both loads).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "region.h"

namespace leakscope::recorder {

class LiveTable {
 public:
  struct Entry {
    uint64_t size;
    uint32_t stack_id;
    bool exact;  // recorded unsampled (a zlib stream's memory): weighs its size, not size / p
    uint32_t birth_s = 0;  // the recorder clock when the block was recorded (recorder.h)
  };

  // Reserves room for max_live entries, laid out for samples taken every mean_sample_bytes on
  // average (1 = every allocation). False if memory was refused (the table then stays empty and
  // every Insert fails).
  bool Init(uint64_t max_live, uint64_t mean_sample_bytes);

  // False when no slot was free near the address' home slot: the sample is dropped (counted).
  // `birth_s` is kept as given: a block put back after a failed realloc passes its old birth.
  bool Insert(uintptr_t address, uint64_t size, uint32_t stack_id, uint32_t birth_s,
              bool exact = false);
  bool Insert(uintptr_t address, const Entry& entry) {
    return Insert(address, entry.size, entry.stack_id, entry.birth_s, entry.exact);
  }

  // Removes the entry for `address` and returns it (birth included). False if the address is not
  // in the table.
  bool Take(uintptr_t address, Entry* out);

  // Starts loading the address' home slot, so the miss overlaps the stack walk that comes before
  // Insert (the table is large and its slots random: a miss is otherwise certain).
  void Prefetch(uintptr_t address) const {
    if (slots_ == nullptr) return;
    uint64_t home = HomeSlot(address);
    const Slot* slot = &slots_[home];
    const std::atomic<uint32_t>* birth = &births_[home];
    // GCC 12 silently deletes a __builtin_prefetch whose address takes a few variable shifts to
    // compute (it did here, and exact mode lost 15 %); an empty asm makes the address opaque, so
    // the prefetch stays. tests/preload/CMakeLists.txt checks the built library for it.
    asm volatile("" : "+r"(slot), "+r"(birth));
    __builtin_prefetch(slot, 1);
    __builtin_prefetch(birth, 1);
  }

  // Fast path of free(): false means "certainly not sampled". No atomics beyond one relaxed load.
  bool MaybeContains(uintptr_t address) const {
    return filter_[FilterIndex(address)].load(std::memory_order_relaxed) != 0;
  }

  // Calls fn(const Entry&) for every live entry (racy snapshot, for the dumper). Reads only the
  // pages an insert has written.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    if (slots_ == nullptr) return;
    slots_region_.ForEachWrittenItem(sizeof(Slot), slot_mask_ + 1, [&](uint64_t i) {
      uint64_t key = slots_[i].key.load(std::memory_order_acquire);
      if (key <= kBusy) return;
      uint64_t value = slots_[i].value.load(std::memory_order_relaxed);
      uint32_t birth = births_[i].load(std::memory_order_relaxed);
      // The slot may have been taken and claimed again since the key was read: if either field
      // came from the new claim (stored release after it), the key has moved on. Skip the slot.
      std::atomic_thread_fence(std::memory_order_acquire);
      if (slots_[i].key.load(std::memory_order_relaxed) != key) return;
      fn(Unpack(value, birth));
    });
  }

  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

  // Fork child, after ResetAllRegions() zeroed the storage.
  void ResetAfterFork() { dropped_.store(0); }

  static constexpr uint64_t kMaxSize = (1ull << 39) - 1;  // sizes above are stored clamped
  static constexpr uint32_t kWindow = 32;

 private:
  struct Slot {
    std::atomic<uint64_t> key;
    std::atomic<uint64_t> value;  // size << 25 | exact << 24 | stack id
  };
  static_assert(sizeof(Slot) == 16, "slots never straddle a page (Region::NoteWrite)");
  static uint64_t Pack(uint64_t size, uint32_t stack_id, bool exact) {
    return size << 25 | static_cast<uint64_t>(exact) << 24 | stack_id;
  }
  static Entry Unpack(uint64_t value, uint32_t birth_s) {
    return Entry{value >> 25, static_cast<uint32_t>(value & 0xffffff), ((value >> 24) & 1) != 0,
                 birth_s};
  }
  static constexpr uint64_t kEmpty = 0, kTombstone = 1, kBusy = 2;

  uint64_t FilterIndex(uintptr_t address) const { return (address >> 8) & filter_mask_; }
  // One formula for both layouts, without a branch: slot = the granule's place in its chunk +
  // the chunk's rotation.
  //   sampled: granule = address >> G, chunk = granule >> slot bits, place = granule
  //   exact:   granule = address >> 4, chunk = granule (so the rotation is a hash), place = 0
  static constexpr uint64_t kMix = 0xC2B2AE3D27D4EB4Full;
  uint64_t HomeSlot(uintptr_t address) const {
    uint64_t granule = address >> granule_shift_;
    uint64_t chunk_rotation = ((granule >> chunk_shift_) * kMix) >> slot_shift_;
    return ((granule & place_mask_) + chunk_rotation) & slot_mask_;
  }
  void FilterAdd(uintptr_t address, int delta);

  // Before Init: a one-bucket filter that is always zero, so free() works from the first call.
  static std::atomic<uint8_t> kEmptyFilter[1];

  Region slots_region_;
  Region births_region_;  // one u32 per slot, same index
  Region filter_region_;
  Slot* slots_ = nullptr;
  std::atomic<uint32_t>* births_ = nullptr;
  uint64_t slot_mask_ = 0;
  int slot_shift_ = 63;
  int granule_shift_ = 4;
  int chunk_shift_ = 0;
  uint64_t place_mask_ = 0;
  std::atomic<uint8_t>* filter_ = kEmptyFilter;
  uint64_t filter_mask_ = 0;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace leakscope::recorder
