// SPDX-License-Identifier: Apache-2.0
// Open zlib streams: z_stream address -> {kind, opening stack id, bytes held}. Streams are few and
// all recorded (not sampled), so a plain lock-free linear-probing table without a filter does.
// Same key protocol and bounded probing as LiveTable (0 empty, 1 tombstone, 2 being written, else
// the address): tombstones from millions of ended streams never make a lookup scan the table.
#pragma once

#include <atomic>
#include <cstdint>

#include "region.h"

namespace leakscope::recorder {

class StreamTable {
 public:
  struct Entry {
    uint32_t kind;  // format::StreamKind
    uint32_t stack_id;
    uint64_t bytes;
  };

  bool Init(uint64_t max_streams);

  // Records an opened stream. A stream re-initialised without its End replaces the old entry.
  // False when the table is full (counted in dropped()).
  bool Insert(uintptr_t stream, uint32_t kind, uint32_t stack_id);

  // Removes an ended stream. False if it was never recorded.
  bool Take(uintptr_t stream, Entry* out);

  // The opening site of a recorded stream, and the bytes it holds changed by `delta`.
  // False if the stream is not (or no longer) recorded.
  bool AddBytes(uintptr_t stream, int64_t delta, uint32_t* stack_id);

  // Calls fn(const Entry&) for every open stream (racy snapshot, for the dumper).
  // Reads only the pages an insert has written.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    if (slots_ == nullptr) return;
    region_.ForEachWrittenItem(sizeof(Slot), mask_ + 1, [&](uint64_t i) {
      if (slots_[i].key.load(std::memory_order_acquire) <= kBusy) return;
      uint64_t meta = slots_[i].meta.load(std::memory_order_relaxed);
      fn(Entry{static_cast<uint32_t>(meta >> 32), static_cast<uint32_t>(meta),
               slots_[i].bytes.load(std::memory_order_relaxed)});
    });
  }

  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

  // Fork child, after ResetAllRegions() zeroed the storage.
  void ResetAfterFork() { dropped_.store(0); }

 private:
  struct Slot {
    std::atomic<uint64_t> key;
    std::atomic<uint64_t> meta;  // kind << 32 | stack id
    std::atomic<uint64_t> bytes;
    uint64_t reserved;
  };
  static_assert(sizeof(Slot) == 32, "slots never straddle a page (Region::NoteWrite)");
  static constexpr uint64_t kEmpty = 0, kTombstone = 1, kBusy = 2;
  static constexpr uint64_t kWindow = 64;

  uint64_t Home(uintptr_t stream) const {
    return ((stream >> 4) * 0x9E3779B97F4A7C15ull) >> shift_;
  }
  Slot* Find(uintptr_t stream) const;

  Region region_;
  Slot* slots_ = nullptr;
  uint64_t mask_ = 0;
  int shift_ = 63;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace leakscope::recorder
