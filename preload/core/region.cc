// SPDX-License-Identifier: Apache-2.0
#include "region.h"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>

#include "raw_log.h"

namespace leakscope::recorder {
namespace {

// The recorder reserves 8; unit tests build many short-lived tables (never unmapped: the
// recorder's own tables must outlive every thread, so they have no destructor).
constexpr int kMaxRegions = 256;
// Copies: a Region is an immutable view once reserved, and its memory is never unmapped, so the
// registry stays valid whoever owned the original.
Region g_regions[kMaxRegions];
std::atomic<int> g_region_count{0};

// Page bitmaps come from here while it lasts (32 KiB: the pages of 1 GiB of tables; the default
// tables need ~3 KiB), so the bitmaps of every region share a few cache lines and one page near
// the recorder's other globals: marking a write then adds no page to a sample's TLB footprint
// (a bitmap beside each table did, and cost exact mode ~8 %). Bigger tables get theirs at the
// end of their own mapping.
constexpr size_t kPoolWords = 4096;
constinit std::atomic<uint64_t> g_bitmap_pool[kPoolWords];
std::atomic<size_t> g_pool_used{0};

size_t PageSize() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }

void* MapZeroed(void* at, size_t bytes) {
  // MAP_NORESERVE: the reservation is an upper bound; only written pages cost memory.
  int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (at != nullptr ? MAP_FIXED : 0);
  void* p = mmap(at, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  // Transparent huge pages would make one written entry cost 2 MiB of RSS: keep growth per page.
  madvise(p, bytes, MADV_NOHUGEPAGE);
  return p;
}

}  // namespace

bool Region::Reserve(size_t bytes, const char* what) {
  size_t page = PageSize();
  int index = g_region_count.load();
  if (index >= kMaxRegions) {
    RawLog(LogLevel::kWarn, "too many regions; %s disabled", what);
    return false;
  }
  size_t pages = (bytes + page - 1) / page;
  size_t words = (pages + 63) / 64;
  size_t data_bytes = pages * page;
  size_t pool_start = g_pool_used.load();
  bool from_pool = pool_start + words <= kPoolWords;
  size_t mapped = data_bytes + (from_pool ? 0 : (words * 8 + page - 1) / page * page);
  void* p = MapZeroed(nullptr, mapped);
  if (p == nullptr) {
    RawLog(LogLevel::kWarn, "cannot reserve %zu bytes for the %s: %m; it is disabled", mapped,
           what);
    return false;
  }
  base_ = static_cast<char*>(p);
  pages_ = pages;
  page_shift_ = __builtin_ctzll(page);
  if (from_pool) {
    written_ = &g_bitmap_pool[pool_start];
    g_pool_used.store(pool_start + words);
  } else {
    written_ = reinterpret_cast<std::atomic<uint64_t>*>(base_ + data_bytes);
  }
  mapped_bytes_ = mapped;
  g_regions[index] = *this;
  g_region_count.store(index + 1, std::memory_order_release);
  return true;
}

uint64_t Region::ReservedBytes() const { return mapped_bytes_; }

uint64_t Region::WrittenBytes() const {
  if (base_ == nullptr) return 0;
  size_t page = page_bytes();
  size_t words = (pages_ + 63) / 64;
  size_t words_per_page = page / 8;
  uint64_t bytes = 0;
  for (size_t first = 0; first < words; first += words_per_page) {
    bool page_written = false;  // a bitmap page in our mapping holding any bit was written too
    for (size_t w = first; w < words && w < first + words_per_page; ++w) {
      uint64_t bits = written_[w].load(std::memory_order_relaxed);
      bytes += static_cast<uint64_t>(__builtin_popcountll(bits)) * page;
      page_written |= bits != 0;
    }
    if (page_written && !bitmap_in_pool()) bytes += page;
  }
  return bytes;
}

void ResetAllRegions() {
  int count = g_region_count.load(std::memory_order_acquire);
  for (int i = 0; i < count; ++i) {
    // MAP_FIXED atomically swaps in zero pages at the same address (bitmap included): pointers
    // stay valid.
    MapZeroed(g_regions[i].base(), g_regions[i].ReservedBytes());
  }
  // Only the words in use: a store to a page of the pool never written would fault in a fresh one.
  for (size_t w = 0; w < kPoolWords; ++w) {
    if (g_bitmap_pool[w].load(std::memory_order_relaxed) != 0) {
      g_bitmap_pool[w].store(0, std::memory_order_relaxed);
    }
  }
}

uint64_t NonZeroPageBytes(const std::atomic<uint64_t>* words, size_t count) {
  const uintptr_t page = PageSize();
  uint64_t bytes = 0;
  uintptr_t last_counted = UINTPTR_MAX;
  for (size_t i = 0; i < count; ++i) {
    uintptr_t this_page = reinterpret_cast<uintptr_t>(&words[i]) & ~(page - 1);
    if (this_page == last_counted || words[i].load(std::memory_order_relaxed) == 0) continue;
    bytes += page;
    last_counted = this_page;
  }
  return bytes;
}

RegionUsage MeasureBitmapPool() {
  return RegionUsage{sizeof(g_bitmap_pool), NonZeroPageBytes(g_bitmap_pool, kPoolWords)};
}

RegionUsage MeasureRegions() {
  RegionUsage usage{0, 0};
  int count = g_region_count.load(std::memory_order_acquire);
  for (int i = 0; i < count; ++i) {
    usage.reserved_bytes += g_regions[i].ReservedBytes();
    usage.resident_bytes += g_regions[i].WrittenBytes();
  }
  return usage;
}

}  // namespace leakscope::recorder
