// SPDX-License-Identifier: Apache-2.0
// The analysis of one dump: sites merged by symbolized stack and sorted by estimated live bytes,
// open zlib streams by opening site and kind, and the process memory picture.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/site_ages.h"
#include "analysis/zlib_status.h"
#include "dump.h"
#include "symbolize/symbolizer.h"

namespace leakscope::analyzer {

// Counters of one symbolized stack. live_* and alloc_* are the recorder's unbiased estimates of
// all allocations (bytes and counts); sampled_* are the exact figures of the sampled allocations
// alone. The two agree when every allocation is recorded (sample_bytes == 1). With sampling, the
// sampled count says how many observations an estimate rests on.
struct SiteSummary {
  uint32_t stack = 0;  // id in the symbolizer's StackTable
  uint64_t live_bytes = 0;
  uint64_t live_count = 0;
  uint64_t alloc_bytes = 0;
  uint64_t alloc_count = 0;
  uint64_t sampled_live_bytes = 0;
  uint64_t sampled_live_count = 0;
  uint64_t sampled_alloc_bytes = 0;
  uint64_t sampled_alloc_count = 0;
  SiteAges ages;  // of the live sampled allocations (not summed into the report's totals)

  // Adds another site's counters (stack unused).
  void Add(const SiteSummary& other);
};

// One site record's counters and ages, as the summary of `stack`.
SiteSummary SummarizeSite(const SiteInfo& site, uint32_t stack);

// Largest estimated live bytes first, then live count, then allocated bytes; equal sites keep
// their order.
void SortSitesByLive(std::vector<SiteSummary>* sites);

struct StreamSummary {
  uint32_t stack = 0;
  uint32_t kind = 0;  // format::StreamKind
  uint64_t open_count = 0;
  uint64_t open_bytes = 0;
  uint64_t opened_total = 0;
};

// One stack as the recorder recorded it, among those a site merges (the site's frames
// symbolize alike, from different return addresses or processes): where each frame came from and
// this stack's own counters. Kept only for outputs that show addresses (pprof).
struct RecordedStack {
  uint32_t stack = 0;                // the site's stack (SiteSummary::stack)
  std::vector<FrameOrigin> origins;  // one per frame of the site's stack
  SiteSummary counters;              // ages unused
};

// "inflate", "deflate", or "unknown" for a kind this analyzer does not know; the same word in
// every output format (docs/json.md).
const char* StreamKindName(uint32_t kind);

// What the process memory is made of, derived from the kMemory record and the live bytes of the
// sites, so a leak (live bytes growing) can be told from allocator retention (free bytes held).
struct MemoryPicture {
  // Whose figures the malloc_* fields are: "glibc" (mallinfo2), "jemalloc" (mallctl stats), or the
  // serving module's name when we have none of its figures (malloc_heap_known is then false and
  // the malloc_* fields are 0, which the formats print as "unknown").
  std::string allocator = "glibc";
  bool malloc_heap_known = true;
  uint64_t rss_bytes = 0;
  uint64_t malloc_heap_bytes = 0;    // arena + mmap'd blocks: what malloc holds from the kernel
  uint64_t malloc_in_use_bytes = 0;  // as malloc sees it
  uint64_t malloc_free_bytes = 0;    // free but held by malloc
  uint64_t live_bytes = 0;           // accounted for by our sites (estimated)
  uint64_t recorder_bytes = 0;       // the recorder's own resident memory
  // RSS not explained by malloc's heap or the recorder: JVM heap, code, thread stacks, mmaps.
  uint64_t other_bytes = 0;
};

struct Report {
  std::string file;
  ProcessInfo process;
  format::SettingsFixed settings{};
  format::MemoryFixed memory{};
  format::CountersFixed counters{};
  format::JavaFixed java{};      // all zero when the dump has no kJava record (no JVMTI agent)
  AllocatorInfo allocator;       // kind kUnknown when the dump has no kAllocator record
  std::string recorder_version;  // "0.1.0 (git abc1234)"; empty when the dump does not say
  std::string label;             // "batch 7" (dump_label.h); empty for an unlabelled dump
  MemoryPicture picture;
  std::vector<SiteSummary> sites;      // every site, by live_bytes, live_count, alloc_bytes desc
  std::vector<StreamSummary> streams;  // by open_bytes, open_count desc
  SiteSummary totals;                  // sums over all sites (stack unused)
  ZlibFinding zlib;                    // why streams are (not) attributed
  // With keep_addresses only (else empty): the dump's modules and every recorded stack, in the
  // sites' order and, within a site, the dump's.
  std::vector<ModuleInfo> modules;
  std::vector<RecordedStack> recorded;
};

// `keep_addresses` fills Report::modules and Report::recorded.
Report BuildReport(const Dump& dump, const std::string& file, Symbolizer* symbolizer,
                   bool keep_addresses = false);

// Splits RSS into what malloc holds, what our sites account for, the recorder and the rest.
// malloc's part comes from the allocator that served the program: glibc's mallinfo2 figures when
// the dump has no kAllocator record (older recorders) or glibc served it, jemalloc's own when it
// did and its statistics were readable, and unknown otherwise.
MemoryPicture ComputeMemoryPicture(const format::MemoryFixed& memory,
                                   const AllocatorInfo& allocator, uint64_t live_bytes);

// True when another allocator stood in front of the recorder and nothing recorded its calls:
// the malloc family is missing from the sites, not merely small.
bool MallocUnrecorded(const AllocatorInfo& allocator);

}  // namespace leakscope::analyzer
