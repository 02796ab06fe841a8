// Address space the recorder reserves up front with mmap. Pages are touched, and so become
// resident, only as tables fill. Every region is registered so dumps can report the recorder's
// own overhead (reserved and resident bytes), and a fork child can wipe them all at once.
#pragma once

#include <cstddef>
#include <cstdint>

namespace leakscope {

// Reserves `bytes` (rounded up to pages) of zeroed memory. Returns nullptr (after one warning) if
// the kernel refuses; callers then run with that feature off.
void* ReserveRegion(size_t bytes, const char* what);

// Replaces every region's pages with fresh zero pages (fork child: empty tables, no copy).
void ResetAllRegions();

struct RegionUsage {
  uint64_t reserved_bytes;
  uint64_t resident_bytes;
};
// mincore() over every region: a few system calls, for the dumper thread only.
RegionUsage MeasureRegions();

}  // namespace leakscope
