// SPDX-License-Identifier: Apache-2.0
#include "analysis/report.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"

namespace leakscope::analyzer {

void SiteSummary::Add(const SiteSummary& other) {
  live_bytes += other.live_bytes;
  live_count += other.live_count;
  alloc_bytes += other.alloc_bytes;
  alloc_count += other.alloc_count;
  sampled_live_bytes += other.sampled_live_bytes;
  sampled_live_count += other.sampled_live_count;
  sampled_alloc_bytes += other.sampled_alloc_bytes;
  sampled_alloc_count += other.sampled_alloc_count;
  ages.Merge(other.ages);
}

bool MallocUnrecorded(const AllocatorInfo& allocator) {
  uint32_t flags = allocator.fixed.flags;
  return (flags & format::kAllocatorInFront) != 0 && (flags & format::kAllocatorHooked) == 0;
}

MemoryPicture ComputeMemoryPicture(const format::MemoryFixed& memory,
                                   const AllocatorInfo& allocator, uint64_t live_bytes) {
  MemoryPicture picture;
  picture.rss_bytes = memory.rss_bytes;
  const format::AllocatorFixed& a = allocator.fixed;
  auto kind = static_cast<format::AllocatorKind>(a.kind);
  if (kind == format::AllocatorKind::kUnknown || kind == format::AllocatorKind::kGlibc) {
    picture.malloc_heap_bytes = memory.malloc_arena_bytes + memory.malloc_mmap_bytes;
    picture.malloc_in_use_bytes = memory.malloc_in_use_bytes;
    picture.malloc_free_bytes = memory.malloc_free_bytes;
  } else if (kind == format::AllocatorKind::kJemalloc && (a.flags & format::kAllocatorStats)) {
    // mapped is jemalloc's counterpart of glibc's arenas + mmap'd blocks: address space it holds
    // for blocks, dirty pages included; retained address space is not resident and stays out.
    picture.allocator = "jemalloc";
    picture.malloc_heap_bytes = a.mapped;
    picture.malloc_in_use_bytes = a.allocated;
    picture.malloc_free_bytes = a.mapped > a.allocated ? a.mapped - a.allocated : 0;
  } else {
    std::string name = allocator.path.substr(allocator.path.rfind('/') + 1);
    picture.allocator = kind == format::AllocatorKind::kJemalloc ? "jemalloc"
                        : name.empty()                           ? "unknown allocator"
                                                                 : name;
    picture.malloc_heap_known = false;
  }
  picture.live_bytes = live_bytes;
  picture.recorder_bytes = memory.self_resident_bytes;
  // malloc's heap is address space it obtained, not all of it resident; the rest can only be
  // estimated this way, and never below zero.
  uint64_t explained = picture.malloc_heap_bytes + picture.recorder_bytes;
  picture.other_bytes = memory.rss_bytes > explained ? memory.rss_bytes - explained : 0;
  return picture;
}

const char* StreamKindName(uint32_t kind) {
  switch (static_cast<format::StreamKind>(kind)) {
    case format::StreamKind::kInflate:
      return "inflate";
    case format::StreamKind::kDeflate:
      return "deflate";
  }
  return "unknown";
}

SiteSummary SummarizeSite(const SiteInfo& site, uint32_t stack) {
  return SiteSummary{
      .stack = stack,
      .live_bytes = site.live_est_bytes(),
      .live_count = site.live_est_count(),
      .alloc_bytes = site.fixed.alloc_est_bytes,
      .alloc_count = site.fixed.alloc_est_count,
      .sampled_live_bytes = site.live_bytes(),
      .sampled_live_count = site.live_count(),
      .sampled_alloc_bytes = site.fixed.alloc_bytes,
      .sampled_alloc_count = site.fixed.alloc_count,
      .ages = SiteAges::Of(site),
  };
}

void SortSitesByLive(std::vector<SiteSummary>* sites) {
  // Stable: equal sites keep the dump's order, so output is deterministic.
  std::stable_sort(sites->begin(), sites->end(), [](const SiteSummary& a, const SiteSummary& b) {
    if (a.live_bytes != b.live_bytes) return a.live_bytes > b.live_bytes;
    if (a.live_count != b.live_count) return a.live_count > b.live_count;
    return a.alloc_bytes > b.alloc_bytes;
  });
}

Report BuildReport(const Dump& dump, const std::string& file, Symbolizer* symbolizer,
                   bool keep_addresses) {
  Report report;
  report.file = file;
  report.process = dump.process;
  report.settings = dump.settings;
  report.memory = dump.memory;
  report.counters = dump.counters;
  report.java = dump.java;

  Symbolizer::DumpView view = symbolizer->View(dump);
  absl::flat_hash_map<uint32_t, size_t> by_stack;  // stack id -> index in report.sites
  absl::flat_hash_map<uint32_t, uint32_t> stack_of_site;
  std::vector<FrameOrigin> origins;
  for (const SiteInfo& site : dump.sites) {
    uint32_t stack = symbolizer->StackOf(view, site, keep_addresses ? &origins : nullptr);
    stack_of_site.emplace(site.fixed.site_id, stack);
    auto [it, inserted] = by_stack.try_emplace(stack, report.sites.size());
    if (inserted) {
      report.sites.emplace_back();
      report.sites.back().stack = stack;
    }
    SiteSummary counters = SummarizeSite(site, stack);
    if (keep_addresses) {
      report.recorded.push_back(
          RecordedStack{.stack = stack, .origins = origins, .counters = counters});
    }
    report.sites[it->second].Add(counters);
  }
  for (const SiteSummary& site : report.sites) report.totals.Add(site);
  report.totals.ages = SiteAges{};  // an age is a site's, not the process's
  SortSitesByLive(&report.sites);
  if (keep_addresses) {
    report.modules = dump.modules;
    absl::flat_hash_map<uint32_t, size_t> rank;  // stack -> position in the sorted sites
    for (size_t i = 0; i < report.sites.size(); ++i) rank.emplace(report.sites[i].stack, i);
    std::stable_sort(report.recorded.begin(), report.recorded.end(),
                     [&](const RecordedStack& a, const RecordedStack& b) {
                       return rank[a.stack] < rank[b.stack];
                     });
  }

  absl::flat_hash_map<std::pair<uint32_t, uint32_t>, size_t> by_stream;
  for (const format::StreamsFixed& streams : dump.streams) {
    uint32_t stack;
    if (auto it = stack_of_site.find(streams.site_id); it != stack_of_site.end()) {
      stack = it->second;
    } else {
      SiteInfo unknown;  // a stream whose site record is missing: keep its numbers anyway
      unknown.fixed.site_id = streams.site_id;
      stack = symbolizer->StackOf(view, unknown);
    }
    auto [it, inserted] =
        by_stream.try_emplace(std::make_pair(stack, streams.kind), report.streams.size());
    if (inserted) report.streams.push_back(StreamSummary{.stack = stack, .kind = streams.kind});
    StreamSummary& summary = report.streams[it->second];
    summary.open_count += streams.open_count;
    summary.open_bytes += streams.open_bytes;
    summary.opened_total += streams.opened_total;
  }
  std::stable_sort(report.streams.begin(), report.streams.end(),
                   [](const StreamSummary& a, const StreamSummary& b) {
                     if (a.open_bytes != b.open_bytes) return a.open_bytes > b.open_bytes;
                     return a.open_count > b.open_count;
                   });

  report.allocator = dump.allocator;
  report.recorder_version = dump.recorder_version;
  report.label = dump.label;
  report.picture = ComputeMemoryPicture(dump.memory, dump.allocator, report.totals.live_bytes);
  std::vector<uint32_t> stacks;
  for (const SiteSummary& site : report.sites) stacks.push_back(site.stack);
  report.zlib = FindZlibStatus(dump, stacks, *symbolizer);
  return report;
}

}  // namespace leakscope::analyzer
