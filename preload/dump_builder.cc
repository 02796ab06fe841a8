// SPDX-License-Identifier: Apache-2.0
#include "dump_builder.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <span>
#include <unordered_map>
#include <vector>

#include "allocator_front.h"
#include "core/age_summary.h"
#include "core/bulk_memory.h"
#include "core/clock.h"
#include "core/region.h"
#include "java/java_agent.h"
#include "java/java_methods.h"
#include "java/java_stacks.h"
#include "machine.h"
#include "module_registry.h"
#include "process_info.h"
#include "recorder.h"
#include "unwinder.h"  // g_frame_shapes
#include "version.h"

namespace leakscope::recorder {
namespace {

// What the recorder holds: its tables, and the static arrays beside them in .bss (the regions'
// page bitmaps, the frame-shape cache, the Java method tables).
RegionUsage RecorderMemory() {
  RegionUsage total = MeasureRegions();
  for (RegionUsage part :
       {MeasureBitmapPool(), RegionUsage{sizeof(g_frame_shapes), g_frame_shapes.ResidentBytes()},
        java::MeasureSeenTables()}) {
    total.reserved_bytes += part.reserved_bytes;
    total.resident_bytes += part.resident_bytes;
  }
  return total;
}

format::SettingsFixed CurrentSettings() {
  const Options& o = g_recorder.options;
  format::SettingsFixed s{};
  s.sample_bytes = o.sample_bytes;
  s.max_stacks = o.max_stacks;
  s.max_live = o.max_live;
  s.max_streams = o.max_streams;
  s.interval_ns = o.interval_ns;
  s.depth = static_cast<uint32_t>(o.depth);
  s.flags = o.follow_children ? format::kSettingFollowChildren : 0;
  return s;
}

struct LiveTotals {
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t est_bytes = 0;
  uint64_t est_count_x256 = 0;
};

struct StreamTotals {
  uint64_t open_count = 0;
  uint64_t open_bytes = 0;
  uint64_t opened_total = 0;
};

uint64_t StreamKey(uint32_t site_id, uint32_t kind) {
  return static_cast<uint64_t>(site_id) << 8 | kind;
}

}  // namespace

bool EncodeDump(const ReentrancyGuard& guard, uint64_t seq, const char* label,
                DumpEncoder* encoder) {
  Recorder& r = g_recorder;
  java::ResolveMethodsBeforeDump();  // names for the Java frames this dump will hold
  ProcessInfo process;
  process.fixed.pid = getpid();
  process.fixed.ppid = getppid();
  process.fixed.seq = seq;
  process.fixed.instance_id = r.instance_id;
  process.fixed.time_unix_ns = UnixNs();
  process.fixed.time_monotonic_ns = MonotonicNs();
  process.fixed.start_unix_ns = r.start_unix_ns;
  process.machine_known = true;
  process.machine = kThisMachine;
  ReadProcessIdentity(guard, &process);

  bool ok = encoder->Begin() && encoder->Process(process) && encoder->Recorder(VersionText());
  if (label != nullptr && label[0] != '\0') ok = ok && encoder->Label(label);
  ok = ok && encoder->Settings(CurrentSettings());

  RefreshModules(guard);
  for (const ModuleInfo& module : SnapshotModules(guard)) {
    ok = ok && encoder->Module(module.fixed, module.path, module.build_id, &module.epochs);
  }

  // Sized by the ids in use, not the table's capacity: zeroing 64 k entries at every dump would
  // fault in 2 MiB for a process with a handful of sites.
  BulkVector<LiveTotals> live(r.stacks.id_limit());
  // Ages are measured against the clock as this dump reads it. One sample per live entry, sorted
  // once; the vector grows with what is live, never beyond the table.
  TickRecorderClock();
  const uint32_t now_s = RecorderClock();
  BulkVector<AgedSample> aged;
  r.live.ForEach([&](const LiveTable::Entry& entry) {
    if (entry.stack_id >= live.size()) return;
    LiveTotals& totals = live[entry.stack_id];
    totals.count += 1;
    totals.bytes += entry.size;
    Sampler::Weights weights =
        entry.exact ? Sampler::Whole(entry.size) : r.sampler.Weigh(entry.size);
    totals.est_bytes += weights.bytes;
    totals.est_count_x256 += weights.count_x256;
    aged.push_back(AgedSample{entry.stack_id, AgeAt(now_s, entry.birth_s), weights.bytes});
  });
  SortAgedSamples(&aged);

  BulkMap<uint64_t, StreamTotals> streams;
  uint64_t sampled_allocs = 0;
  r.stacks.ForEach([&](uint32_t id, const uint64_t* pcs, uint32_t depth) {
    SiteTotals c = r.stacks.Totals(id);
    format::SiteFixed site{};
    site.site_id = id;
    // A stack interned after the live scan has nothing live in it yet.
    static constexpr LiveTotals kNothingLive{};
    const LiveTotals& now = id < live.size() ? live[id] : kNothingLive;
    // Read after the scan, so an allocation racing the dump adds to these, never to live only.
    site.alloc_count = std::max(c.alloc_count, now.count);
    site.alloc_bytes = std::max(c.alloc_bytes, now.bytes);
    site.alloc_est_bytes = std::max(c.alloc_est_bytes, now.est_bytes);
    uint64_t alloc_est_count_x256 = std::max(c.alloc_est_count_x256, now.est_count_x256);
    site.free_count = site.alloc_count - now.count;
    site.free_bytes = site.alloc_bytes - now.bytes;
    site.free_est_bytes = site.alloc_est_bytes - now.est_bytes;
    // Rounded once each, so live = alloc - free stays the rounded live estimate.
    site.alloc_est_count = (alloc_est_count_x256 + 128) / 256;
    site.free_est_count = site.alloc_est_count - (now.est_count_x256 + 128) / 256;
    sampled_allocs += site.alloc_count;
    for (uint32_t kind = 1; kind <= 2; ++kind) {
      uint64_t opened = c.streams_opened[kind - 1];
      if (opened != 0) streams[StreamKey(id, kind)].opened_total = opened;
    }
    bool idle = site.alloc_count == 0 && streams.count(StreamKey(id, 1)) == 0 &&
                streams.count(StreamKey(id, 2)) == 0;
    if (id == format::kOverflowSiteId && idle) return;
    format::SiteAgesFixed ages = SummarizeAges(SamplesOfStack(aged, id));
    const uint32_t epoch = r.stacks.Epoch(id);
    ok = ok && encoder->Site(site, ages, std::span<const uint64_t>(pcs, depth), &epoch);
  });

  r.streams.ForEach([&](const StreamTable::Entry& entry) {
    StreamTotals& totals = streams[StreamKey(entry.stack_id, entry.kind)];
    totals.open_count += 1;
    totals.open_bytes += entry.bytes;
  });
  for (const auto& [key, totals] : streams) {
    format::StreamsFixed record{};
    record.site_id = static_cast<uint32_t>(key >> 8);
    record.kind = static_cast<uint32_t>(key & 0xff);
    record.open_count = totals.open_count;
    record.open_bytes = totals.open_bytes;
    // An open stream whose site was published after the ForEach above: count it opened too.
    record.opened_total =
        totals.opened_total > totals.open_count ? totals.opened_total : totals.open_count;
    ok = ok && encoder->Streams(record);
  }

  if (uint32_t flags = java::AgentFlags(); flags != 0) {
    for (const java::MethodInfo& method : java::CachedMethods(guard)) {
      format::JavaMethodFixed fixed{};
      fixed.method_id = method.method_id;
      fixed.flags = method.resolved ? format::kJavaMethodResolved : 0;
      ok = ok && encoder->JavaMethod(fixed, method.class_signature, method.name, method.signature,
                                     method.source_file, method.lines);
    }
    format::JavaFixed java{};
    java.flags = flags;
    for (int i = 0; i < java::kReasons; ++i) {
      java.walks[i] = java::g_java_counters.by_reason[i].load(std::memory_order_relaxed);
    }
    java.unencodable = java::g_java_counters.unencodable.load(std::memory_order_relaxed);
    ok = ok && encoder->Java(java);
  }

  format::AllocatorFixed allocator;
  std::string allocator_path;
  if (ReadAllocator(guard, &allocator, &allocator_path)) {
    ok = ok && encoder->Allocator(allocator, allocator_path);
  }

  format::MemoryFixed memory = ReadProcessMemory(guard);
  RegionUsage usage = RecorderMemory();
  memory.self_reserved_bytes = usage.reserved_bytes;
  memory.self_resident_bytes = usage.resident_bytes;
  ok = ok && encoder->Memory(memory);

  format::CountersFixed counters{};
  counters.sampled_allocs = sampled_allocs;
  counters.dropped_live_full = r.live.dropped();
  counters.dropped_stack_full = r.stacks.dropped();
  counters.unwind_failures = r.unwind_failures.load(std::memory_order_relaxed);
  counters.truncated_walks = r.truncated_walks.load(std::memory_order_relaxed);
  counters.zlib_calls = r.zlib_calls.load(std::memory_order_relaxed);
  counters.dropped_streams_full = r.streams.dropped();
  counters.zlib_missing_real = r.zlib_missing_real.load(std::memory_order_relaxed);
  ok = ok && encoder->Counters(counters);
  return ok && encoder->Finish();
}

}  // namespace leakscope::recorder
