// SPDX-License-Identifier: Apache-2.0
// Deduplicated call stacks and their per-site counters: a lock-free, insert-only hash table.
//
// Layout, all pre-reserved with mmap (region.h):
//   index_    open-addressing slots, 2x max_stacks, each (hash tag << 32 | id); 0 = empty
//   offsets_  id -> byte offset of the stack's record in arena_
//   arena_    records {hash, depth, published, epoch, pcs[depth]}, bump-allocated, variable length
//   counters_ [shard][id] -> SiteCounters, one cache line each: exact mode updates them on every
//             call, so each thread writes its own shard's line (threads allocating at one site
//             would otherwise bounce it between cores) and readers sum the shards
// Insert: claim an id and arena space, write the record, then publish it with one CAS on an index
// slot. Two threads racing to insert the same new stack both write a record; the CAS loser adopts
// the winner's id and its own record stays unpublished (ids are wasted only under such races).
// Ids start at 1; id 0 (kOverflowSiteId) collects allocations whose stack did not fit.
// A stack is its PCs *and* the mapping epoch they were taken in (dump_format.h): the same
// addresses after a dlclose may belong to another library, so they make a different stack.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "region.h"

namespace leakscope::recorder {

// Cumulative counts only: what is live is read from the live table at dump time, so frees never
// touch a shared counter (in exact mode two threads freeing at one site would otherwise bounce
// this cache line on every call).
inline constexpr uint32_t kCounterShards = 8;

struct alignas(64) SiteCounters {
  std::atomic<uint64_t> alloc_count;
  std::atomic<uint64_t> alloc_bytes;
  std::atomic<uint64_t> alloc_est_bytes;
  std::atomic<uint64_t> alloc_est_count_x256;  // fixed point: 256 = one allocation
  std::atomic<uint64_t> streams_opened[2];     // by StreamKind - 1
};
static_assert(sizeof(SiteCounters) == 64);

// One site's counters summed over the shards.
struct SiteTotals {
  uint64_t alloc_count = 0;
  uint64_t alloc_bytes = 0;
  uint64_t alloc_est_bytes = 0;
  uint64_t alloc_est_count_x256 = 0;
  uint64_t streams_opened[2] = {0, 0};
};

class StackTable {
 public:
  // Reserves room for max_stacks stacks of up to max_depth frames. False if memory was refused.
  bool Init(uint64_t max_stacks, uint32_t max_depth);

  // Returns the id of the stack `pcs[0..depth)` taken in mapping epoch `epoch`, inserting it if
  // new, or kOverflowSiteId when the table is full (counted in dropped()). Lock-free; never
  // blocks, never allocates. `hash` is Hash(pcs, depth, epoch), for callers that already have it.
  uint32_t Intern(const uint64_t* pcs, uint32_t depth, uint32_t epoch = 0) {
    return Intern(pcs, depth, epoch, Hash(pcs, depth, epoch));
  }
  uint32_t Intern(const uint64_t* pcs, uint32_t depth, uint32_t epoch, uint64_t hash);

  // The frames of a stack Intern() returned (its record: written once, before the id could be
  // seen, and never changed).
  const uint64_t* Pcs(uint32_t id) const {
    return RecordAt(offsets_[id].load(std::memory_order_acquire))->pcs;
  }

  // The mapping epoch of a stack Intern() returned (0 for the overflow site).
  uint32_t Epoch(uint32_t id) const {
    return id == 0 ? 0 : RecordAt(offsets_[id].load(std::memory_order_acquire))->epoch;
  }

  // The table's key for a stack (XXH3 of its PCs, seeded with the epoch).
  static uint64_t Hash(const uint64_t* pcs, uint32_t depth, uint32_t epoch);

  // The counters a thread updates (and so writes): `shard` is the thread's, below kCounterShards.
  SiteCounters& counters(uint32_t id, uint32_t shard) {
    SiteCounters& c = counters_[shard * (max_stacks_ + 1) + id];
    counters_region_.NoteWrite(&c);
    return c;
  }

  // Every id handed out so far is below this.
  uint32_t id_limit() const {
    uint32_t end = next_id_.load(std::memory_order_acquire);
    return end > max_stacks_ + 1 ? static_cast<uint32_t>(max_stacks_ + 1) : end;
  }

  // A site's counters summed over every shard (relaxed loads: a racy snapshot).
  SiteTotals Totals(uint32_t id) const;

  // Calls fn(id, pcs, depth) for the overflow site and every published stack.
  // Safe while other threads insert (new stacks may or may not be seen).
  template <typename Fn>
  void ForEach(Fn&& fn) {
    fn(0u, static_cast<const uint64_t*>(nullptr), 0u);
    uint32_t end = id_limit();
    for (uint32_t id = 1; id < end; ++id) {
      uint64_t offset = offsets_[id].load(std::memory_order_acquire);
      if (offset == 0) continue;
      const Record* record = RecordAt(offset);
      if (!record->published.load(std::memory_order_acquire)) continue;
      fn(id, record->pcs, record->depth);
    }
  }

  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

  // Fork child, after ResetAllRegions() zeroed the storage: forget every stack.
  void ResetAfterFork() {
    next_id_.store(1);
    arena_used_.store(8);
    dropped_.store(0);
  }
  uint64_t capacity() const { return max_stacks_; }

 private:
  struct Record {
    uint64_t hash;
    uint32_t depth;
    std::atomic<uint32_t> published;
    uint32_t epoch;
    uint64_t pcs[];
  };

  Record* RecordAt(uint64_t offset) const { return reinterpret_cast<Record*>(arena_ + offset); }
  bool Matches(uint32_t id, uint64_t hash, const uint64_t* pcs, uint32_t depth,
               uint32_t epoch) const;

  uint64_t max_stacks_ = 0;
  uint64_t index_mask_ = 0;
  uint64_t arena_bytes_ = 0;
  Region index_region_;
  Region offsets_region_;
  Region arena_region_;
  Region counters_region_;
  std::atomic<uint64_t>* index_ = nullptr;
  std::atomic<uint64_t>* offsets_ = nullptr;
  char* arena_ = nullptr;
  SiteCounters* counters_ = nullptr;
  std::atomic<uint32_t> next_id_{1};
  std::atomic<uint64_t> arena_used_{8};  // offset 0 means "no record"
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace leakscope::recorder
