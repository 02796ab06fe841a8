// SPDX-License-Identifier: Apache-2.0
#include "live_table.h"

namespace leakscope::recorder {

std::atomic<uint8_t> LiveTable::kEmptyFilter[1] = {};

namespace {
int Log2Ceil(uint64_t v) {
  int bits = 0;
  while ((1ull << bits) < v) ++bits;
  return bits;
}
}  // namespace

bool LiveTable::Init(uint64_t max_live, uint64_t mean_sample_bytes) {
  // Half full at most, so a kWindow neighbourhood almost never fills up.
  int slot_bits = Log2Ceil(max_live * 2);
  // 2^22 granules = 1 GiB of address space before two granules share a counter. Only counters
  // of granules holding a sample are ever written, so little of it becomes resident.
  constexpr int filter_bits = 22;
  if (!slots_region_.Reserve(sizeof(Slot) << slot_bits, "live table") ||
      !births_region_.Reserve(sizeof(uint32_t) << slot_bits, "live births") ||
      !filter_region_.Reserve(1ull << filter_bits, "live filter")) {
    return false;
  }
  births_ = reinterpret_cast<std::atomic<uint32_t>*>(births_region_.base());
  slots_ = reinterpret_cast<Slot*>(slots_region_.base());
  slot_mask_ = (1ull << slot_bits) - 1;
  slot_shift_ = 64 - slot_bits;
  // Granules of mean / 32 bytes (see the header); for means under 512 bytes, hash instead.
  int granule_shift = 63 - __builtin_clzll(mean_sample_bytes | 1) - 5;
  if (granule_shift >= 4) {
    granule_shift_ = granule_shift;
    chunk_shift_ = slot_bits;
    place_mask_ = ~0ull;
  } else {
    granule_shift_ = 4;  // malloc's alignment: 16-byte granules never share an address
    chunk_shift_ = 0;
    place_mask_ = 0;
  }
  filter_mask_ = (1ull << filter_bits) - 1;
  filter_ = reinterpret_cast<std::atomic<uint8_t>*>(filter_region_.base());
  return true;
}

void LiveTable::FilterAdd(uintptr_t address, int delta) {
  std::atomic<uint8_t>& counter = filter_[FilterIndex(address)];
  // Take's decrement follows an Insert's increment, which marked the page already.
  if (delta > 0) filter_region_.NoteWrite(&counter);
  uint8_t current = counter.load(std::memory_order_relaxed);
  for (;;) {
    if (current == 255) return;  // saturated: stays "maybe" for good
    uint8_t next = static_cast<uint8_t>(current + delta);
    if (counter.compare_exchange_weak(current, next, std::memory_order_relaxed)) return;
  }
}

bool LiveTable::Insert(uintptr_t address, uint64_t size, uint32_t stack_id, uint32_t birth_s,
                       bool exact) {
  if (slots_ == nullptr) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if (size > kMaxSize) size = kMaxSize;
  uint64_t slot = HomeSlot(address);
  for (uint32_t i = 0; i < kWindow; ++i, slot = (slot + 1) & slot_mask_) {
    uint64_t key = slots_[slot].key.load(std::memory_order_relaxed);
    if (key != kEmpty && key != kTombstone) continue;
    slots_region_.NoteWrite(&slots_[slot]);
    if (!slots_[slot].key.compare_exchange_strong(key, kBusy, std::memory_order_acquire)) continue;
    // Release: a ForEach that reads either field sees the slot's key moved off the old address.
    slots_[slot].value.store(Pack(size, stack_id, exact), std::memory_order_release);
    births_region_.NoteWrite(&births_[slot]);
    births_[slot].store(birth_s, std::memory_order_release);
    // The pointer is not yet returned to the program, so nobody can free it before this
    // completes; filter order relative to the key does not matter.
    FilterAdd(address, +1);
    slots_[slot].key.store(address, std::memory_order_release);
    return true;
  }
  dropped_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

bool LiveTable::Take(uintptr_t address, Entry* out) {
  if (slots_ == nullptr) return false;
  uint64_t slot = HomeSlot(address);
  for (uint32_t i = 0; i < kWindow; ++i, slot = (slot + 1) & slot_mask_) {
    uint64_t key = slots_[slot].key.load(std::memory_order_acquire);
    if (key == kEmpty) return false;
    if (key != address) continue;
    // Both read while the key is still ours: once it is a tombstone, an Insert may reuse the slot.
    uint64_t value = slots_[slot].value.load(std::memory_order_relaxed);
    uint32_t birth_s = births_[slot].load(std::memory_order_relaxed);
    if (!slots_[slot].key.compare_exchange_strong(key, kTombstone, std::memory_order_acq_rel)) {
      return false;  // someone else took it: a double free in the program
    }
    FilterAdd(address, -1);
    *out = Unpack(value, birth_s);
    return true;
  }
  return false;
}

}  // namespace leakscope::recorder
