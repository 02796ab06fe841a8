#include "region.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>

#include "raw_log.h"

namespace leakscope {
namespace {

struct Region {
  void* address;
  size_t bytes;
};
// The recorder reserves 8; unit tests build many short-lived tables (never unmapped: the recorder's
// own tables must outlive every thread, so they have no destructor).
constexpr int kMaxRegions = 256;
Region g_regions[kMaxRegions];
std::atomic<int> g_region_count{0};

size_t PageSize() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }

}  // namespace

void* ReserveRegion(size_t bytes, const char* what) {
  size_t page = PageSize();
  bytes = (bytes + page - 1) & ~(page - 1);
  int index = g_region_count.load();
  if (index >= kMaxRegions) {
    RawLog(LogLevel::kWarn, "too many regions; %s disabled", what);
    return nullptr;
  }
  // MAP_NORESERVE: the reservation is an upper bound; only touched pages cost memory.
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    RawLog(LogLevel::kWarn, "cannot reserve %zu bytes for the %s: %m; it is disabled", bytes, what);
    return nullptr;
  }
  // Transparent huge pages would make one touched entry cost 2 MiB of RSS: keep growth per 4 KiB.
  madvise(p, bytes, MADV_NOHUGEPAGE);
  g_regions[index] = {p, bytes};
  g_region_count.store(index + 1, std::memory_order_release);
  return p;
}

void ResetAllRegions() {
  int count = g_region_count.load(std::memory_order_acquire);
  for (int i = 0; i < count; ++i) {
    // MAP_FIXED atomically swaps in zero pages at the same address: pointers stay valid.
    mmap(g_regions[i].address, g_regions[i].bytes, PROT_READ | PROT_WRITE,
         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    madvise(g_regions[i].address, g_regions[i].bytes, MADV_NOHUGEPAGE);
  }
}

// Resident bytes come from /proc/self/smaps, not mincore(): pages that were only read map the
// shared zero page, which mincore() calls resident but which costs no memory (the dumper scans
// whole tables, and free() reads the filter).
RegionUsage MeasureRegions() {
  RegionUsage usage{0, 0};
  int count = g_region_count.load(std::memory_order_acquire);
  for (int i = 0; i < count; ++i) usage.reserved_bytes += g_regions[i].bytes;
  int fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return usage;
  char buffer[8192];
  size_t used = 0;
  bool ours = false;  // the mapping whose fields we are reading overlaps one of our regions
  for (;;) {
    ssize_t n = read(fd, buffer + used, sizeof(buffer) - used - 1);
    if (n <= 0) break;
    used += static_cast<size_t>(n);
    buffer[used] = '\0';
    char* line = buffer;
    while (char* newline = strchr(line, '\n')) {
      *newline = '\0';
      uintptr_t start, end;
      if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
        ours = false;
        for (int i = 0; i < count; ++i) {
          uintptr_t begin = reinterpret_cast<uintptr_t>(g_regions[i].address);
          ours |= start < begin + g_regions[i].bytes && begin < end;
        }
      } else if (ours && strncmp(line, "Rss:", 4) == 0) {
        usage.resident_bytes += strtoull(line + 4, nullptr, 10) * 1024;
      }
      line = newline + 1;
    }
    used = strlen(line);
    memmove(buffer, line, used);
  }
  close(fd);
  return usage;
}

}  // namespace leakscope
