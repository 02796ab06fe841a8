// SPDX-License-Identifier: Apache-2.0
#include "stream_table.h"

namespace leakscope::recorder {

bool StreamTable::Init(uint64_t max_streams) {
  int bits = 7;  // at least 2 x kWindow slots
  while ((1ull << bits) < max_streams * 2) ++bits;
  if (!region_.Reserve(sizeof(Slot) << bits, "zlib stream table")) return false;
  slots_ = reinterpret_cast<Slot*>(region_.base());
  mask_ = (1ull << bits) - 1;
  shift_ = 64 - bits;
  return true;
}

StreamTable::Slot* StreamTable::Find(uintptr_t stream) const {
  uint64_t slot = Home(stream);
  for (uint64_t i = 0; i < kWindow; ++i, slot = (slot + 1) & mask_) {
    uint64_t key = slots_[slot].key.load(std::memory_order_acquire);
    if (key == kEmpty) return nullptr;
    if (key == stream) return &slots_[slot];
  }
  return nullptr;
}

bool StreamTable::Insert(uintptr_t stream, uint32_t kind, uint32_t stack_id) {
  if (slots_ == nullptr) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  uint64_t meta = static_cast<uint64_t>(kind) << 32 | stack_id;
  if (Slot* existing = Find(stream)) {
    // Re-initialised without End: the old stream's state is the program's leak, already visible
    // in the malloc counters; the stream is now the new one.
    existing->meta.store(meta, std::memory_order_relaxed);
    existing->bytes.store(0, std::memory_order_relaxed);
    return true;
  }
  uint64_t slot = Home(stream);
  for (uint64_t i = 0; i < kWindow; ++i, slot = (slot + 1) & mask_) {
    uint64_t key = slots_[slot].key.load(std::memory_order_relaxed);
    if (key != kEmpty && key != kTombstone) continue;
    region_.NoteWrite(&slots_[slot]);
    if (!slots_[slot].key.compare_exchange_strong(key, kBusy, std::memory_order_acquire)) continue;
    slots_[slot].meta.store(meta, std::memory_order_relaxed);
    slots_[slot].bytes.store(0, std::memory_order_relaxed);
    slots_[slot].key.store(stream, std::memory_order_release);
    return true;
  }
  dropped_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

bool StreamTable::AddBytes(uintptr_t stream, int64_t delta, uint32_t* stack_id) {
  if (slots_ == nullptr) return false;
  Slot* slot = Find(stream);
  if (slot == nullptr) return false;
  slot->bytes.fetch_add(static_cast<uint64_t>(delta), std::memory_order_relaxed);
  *stack_id = static_cast<uint32_t>(slot->meta.load(std::memory_order_relaxed));
  return true;
}

bool StreamTable::Take(uintptr_t stream, Entry* out) {
  if (slots_ == nullptr) return false;
  Slot* slot = Find(stream);
  if (slot == nullptr) return false;
  uint64_t key = stream;
  uint64_t meta = slot->meta.load(std::memory_order_relaxed);
  uint64_t bytes = slot->bytes.load(std::memory_order_relaxed);
  if (!slot->key.compare_exchange_strong(key, kTombstone, std::memory_order_acq_rel)) return false;
  *out = Entry{static_cast<uint32_t>(meta >> 32), static_cast<uint32_t>(meta), bytes};
  return true;
}

}  // namespace leakscope::recorder
