// SPDX-License-Identifier: Apache-2.0
#include "stack_table.h"

#include <cstring>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dump_format.h"

namespace leakscope::recorder {
namespace {

uint64_t NextPowerOfTwo(uint64_t v) {
  uint64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

constexpr uint64_t Pack(uint64_t hash, uint32_t id) { return (hash & ~0xffffffffull) | id; }

}  // namespace

bool StackTable::Init(uint64_t max_stacks, uint32_t max_depth) {
  max_stacks_ = max_stacks;
  uint64_t slots = NextPowerOfTwo(max_stacks * 2);
  index_mask_ = slots - 1;
  // Room for every stack at full native depth; Java frames, when there are any, take the place
  // of the many native frames of short stacks (a table full of deep mixed stacks overflows into
  // the overflow site, as any full table does).
  arena_bytes_ = 8 + max_stacks * (sizeof(Record) + 8ull * max_depth);
  if (!index_region_.Reserve(slots * 8, "stack index") ||
      !offsets_region_.Reserve((max_stacks + 1) * 8, "stack offsets") ||
      !arena_region_.Reserve(arena_bytes_, "stack arena") ||
      !counters_region_.Reserve(kCounterShards * (max_stacks + 1) * sizeof(SiteCounters),
                                "site counters")) {
    return false;
  }
  index_ = reinterpret_cast<std::atomic<uint64_t>*>(index_region_.base());
  offsets_ = reinterpret_cast<std::atomic<uint64_t>*>(offsets_region_.base());
  arena_ = arena_region_.base();
  counters_ = reinterpret_cast<SiteCounters*>(counters_region_.base());
  return true;
}

SiteTotals StackTable::Totals(uint32_t id) const {
  SiteTotals totals;
  for (uint32_t shard = 0; shard < kCounterShards; ++shard) {
    const SiteCounters& c = counters_[shard * (max_stacks_ + 1) + id];
    totals.alloc_count += c.alloc_count.load(std::memory_order_relaxed);
    totals.alloc_bytes += c.alloc_bytes.load(std::memory_order_relaxed);
    totals.alloc_est_bytes += c.alloc_est_bytes.load(std::memory_order_relaxed);
    totals.alloc_est_count_x256 += c.alloc_est_count_x256.load(std::memory_order_relaxed);
    for (int kind = 0; kind < 2; ++kind) {
      totals.streams_opened[kind] += c.streams_opened[kind].load(std::memory_order_relaxed);
    }
  }
  return totals;
}

bool StackTable::Matches(uint32_t id, uint64_t hash, const uint64_t* pcs, uint32_t depth,
                         uint32_t epoch) const {
  uint64_t offset = offsets_[id].load(std::memory_order_acquire);
  if (offset == 0) return false;
  const Record* record = RecordAt(offset);
  return record->hash == hash && record->depth == depth && record->epoch == epoch &&
         std::memcmp(record->pcs, pcs, depth * sizeof(uint64_t)) == 0;
}

uint64_t StackTable::Hash(const uint64_t* pcs, uint32_t depth, uint32_t epoch) {
  // Seed 0 is plain XXH3: in a process that never unmaps a module nothing changes.
  return XXH3_64bits_withSeed(pcs, depth * sizeof(uint64_t), epoch);
}

uint32_t StackTable::Intern(const uint64_t* pcs, uint32_t depth, uint32_t epoch, uint64_t hash) {
  uint64_t slot = hash & index_mask_;
  uint32_t claimed_id = 0;  // set once we have written our own record
  for (uint64_t probes = 0; probes <= index_mask_; ++probes, slot = (slot + 1) & index_mask_) {
    uint64_t entry = index_[slot].load(std::memory_order_acquire);
    while (entry == 0) {
      if (claimed_id == 0) {
        if (next_id_.load(std::memory_order_relaxed) > max_stacks_) break;  // full: stop claiming
        // Claim an id and arena room, then write the record before anyone can see it.
        uint32_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
        uint64_t bytes = (sizeof(Record) + depth * sizeof(uint64_t) + 7) & ~7ull;
        uint64_t offset = arena_used_.fetch_add(bytes, std::memory_order_relaxed);
        if (id > max_stacks_ || offset + bytes > arena_bytes_) {
          dropped_.fetch_add(1, std::memory_order_relaxed);
          return format::kOverflowSiteId;
        }
        Record* record = RecordAt(offset);
        arena_region_.NoteWrite(record, bytes);
        record->hash = hash;
        record->depth = depth;
        record->epoch = epoch;
        std::memcpy(record->pcs, pcs, depth * sizeof(uint64_t));
        offsets_region_.NoteWrite(&offsets_[id]);
        offsets_[id].store(offset, std::memory_order_release);
        claimed_id = id;
      }
      index_region_.NoteWrite(&index_[slot]);
      if (index_[slot].compare_exchange_strong(entry, Pack(hash, claimed_id),
                                               std::memory_order_acq_rel)) {
        RecordAt(offsets_[claimed_id].load(std::memory_order_relaxed))
            ->published.store(1, std::memory_order_release);
        return claimed_id;
      }
      // Lost the slot: `entry` now holds the winner; fall through and compare it.
    }
    if ((entry & ~0xffffffffull) == (hash & ~0xffffffffull)) {
      uint32_t id = static_cast<uint32_t>(entry);
      if (Matches(id, hash, pcs, depth, epoch)) return id;
    }
  }
  dropped_.fetch_add(1, std::memory_order_relaxed);
  return format::kOverflowSiteId;
}

}  // namespace leakscope::recorder
