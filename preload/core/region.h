// SPDX-License-Identifier: Apache-2.0
// Address space the recorder reserves up front with mmap. Pages are written, and so become
// resident, only as tables fill. Every region is registered so dumps can report the recorder's
// own overhead (reserved and resident bytes), and a fork child can wipe them all at once.
//
// Each region knows which of its pages have been written: writers call NoteWrite() before they
// store, which costs one load of a hot bitmap word once the page is known. That bitmap is what
// lets the dumper scan only the written pages of a table (reading the others would map the
// zero page into each, and a later write to it would then cost a copy-on-write fault and a TLB
// shootdown across every thread's CPU), and what resident bytes are counted from (no
// /proc/self/smaps walk, which in a JVM covers thousands of mappings).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace leakscope::recorder {

class Region {
 public:
  // Reserves `bytes` (rounded up to pages) of zeroed memory plus its page bitmap, and registers
  // the region. False (after one warning naming `what`) if the kernel refuses or the registry is
  // full; callers then run with that feature off.
  bool Reserve(size_t bytes, const char* what);

  char* base() const { return base_; }

  // Marks the pages of [p, p + n) as written. Call before the store; n >= 1.
  void NoteWrite(const void* p, size_t n) {
    size_t first = Page(p);
    size_t last = Page(static_cast<const char*>(p) + n - 1);
    for (size_t page = first; page <= last; ++page) Mark(page);
  }
  // The same for an object that cannot straddle a page (aligned to a size that divides it): the
  // form the hot path uses.
  void NoteWrite(const void* p) { Mark(Page(p)); }

  // Pages in the region, and whether one was written (a racy snapshot, for scanners).
  size_t pages() const { return pages_; }
  size_t page_bytes() const { return size_t{1} << page_shift_; }
  bool PageWritten(size_t page) const {
    return (written_[page >> 6].load(std::memory_order_relaxed) >> (page & 63)) & 1;
  }

  // Whether the page bitmap sits in the shared pool (else at the end of the region's mapping).
  bool bitmap_in_pool() const { return mapped_bytes_ == pages_ << page_shift_; }

  // Calls fn(i) for every index i < count of an array of `item_bytes` items (a divisor of the
  // page size) at the start of the region whose page has been written: how the dumper scans a
  // table without reading, and so mapping, pages nothing was ever stored in.
  template <typename Fn>
  void ForEachWrittenItem(size_t item_bytes, uint64_t count, Fn&& fn) const {
    uint64_t per_page = page_bytes() / item_bytes;
    for (size_t page = 0; page < pages_; ++page) {
      if (!PageWritten(page)) continue;
      uint64_t end = (page + 1) * per_page;
      for (uint64_t i = page * per_page; i < end && i < count; ++i) fn(i);
    }
  }

  // Reserved bytes (bitmap included when mapped with the data) and, of them, the written ones.
  uint64_t ReservedBytes() const;
  uint64_t WrittenBytes() const;

 private:
  size_t Page(const void* p) const {
    return static_cast<size_t>(static_cast<const char*>(p) - base_) >> page_shift_;
  }
  void Mark(size_t page) {
    std::atomic<uint64_t>& word = written_[page >> 6];
    uint64_t bit = uint64_t{1} << (page & 63);
    if ((word.load(std::memory_order_relaxed) & bit) == 0) {
      word.fetch_or(bit, std::memory_order_relaxed);
    }
  }

  char* base_ = nullptr;
  size_t pages_ = 0;
  int page_shift_ = 12;
  std::atomic<uint64_t>* written_ = nullptr;  // one bit per page (region.cc says where)
  size_t mapped_bytes_ = 0;  // the pages, and the bitmap when it is not in the shared pool
};

// Replaces every region's pages with fresh zero pages (fork child: empty tables, no copy).
void ResetAllRegions();

struct RegionUsage {
  uint64_t reserved_bytes;
  uint64_t resident_bytes;
};
// Sums every registered region: no system call.
RegionUsage MeasureRegions();

// Bytes of the pages holding `words` that hold a non-zero word: what of a static array (in .bss,
// so a page is resident once written) is resident, give or take pages written and zeroed again.
uint64_t NonZeroPageBytes(const std::atomic<uint64_t>* words, size_t count);

// The shared bitmap pool: its size, and of it the pages in use (see region.cc).
RegionUsage MeasureBitmapPool();

}  // namespace leakscope::recorder
