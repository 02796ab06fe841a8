// SPDX-License-Identifier: Apache-2.0
// The JSON report; its fields are documented in docs/json.md and must stay stable.
#include "absl/strings/str_format.h"
#include "machine.h"
#include "output/ages_output.h"
#include "output/dump_json.h"
#include "output/format_report.h"
#include "output/frames_json.h"
#include "output/java_walks_output.h"
#include "output/json_output.h"
#include "output/recorder_version_json.h"
#include "output/top_count.h"

namespace leakscope::analyzer {

namespace {

void WriteDumpJson(const Report& report, JsonWriter* json) {
  const format::ProcessFixed& p = report.process.fixed;
  json->Key("dump");
  json->BeginObject();
  WriteDumpIdentityJson(report, DumpIdentity::kWithPpid, json);
  json->FieldInt("start_unix_ns", p.start_unix_ns);
  json->Field("host", report.process.host);
  json->Field("executable", report.process.executable);
  WriteRecorderVersionJson(report.recorder_version, json);
  // "x86-64" for a dump from before the format recorded it: the recorder ran only there then.
  json->Field("architecture", MachineName(report.process.machine));
  json->Key("args");
  json->BeginArray(/*inline_=*/true);
  for (const std::string& arg : report.process.args) json->String(arg);
  json->EndArray();
  json->FieldUInt("rss_bytes", report.memory.rss_bytes);
  json->EndObject();

  const format::SettingsFixed& s = report.settings;
  json->Key("settings");
  json->BeginObject();
  json->FieldUInt("sample_bytes", s.sample_bytes);
  json->FieldUInt("depth", s.depth);
  json->FieldUInt("max_stacks", s.max_stacks);
  json->FieldUInt("max_live", s.max_live);
  json->FieldUInt("max_streams", s.max_streams);
  json->FieldUInt("interval_ns", s.interval_ns);
  json->FieldBool("follow_children", (s.flags & format::kSettingFollowChildren) != 0);
  json->EndObject();
}

void WriteMemoryJson(const Report& report, JsonWriter* json) {
  const format::MemoryFixed& m = report.memory;
  const MemoryPicture& picture = report.picture;
  json->Key("memory");
  json->BeginObject();
  json->FieldUInt("rss_bytes", m.rss_bytes);
  json->FieldUInt("rss_peak_bytes", m.rss_peak_bytes);
  json->FieldUInt("vm_bytes", m.vm_bytes);
  json->Field("malloc_allocator", picture.allocator);
  json->FieldBool("malloc_heap_known", picture.malloc_heap_known);
  json->FieldBool("malloc_recorded", !MallocUnrecorded(report.allocator));
  // Null when unknown: 0 would say malloc holds nothing.
  auto picture_field = [&](std::string_view key, uint64_t value) {
    json->Key(key);
    if (picture.malloc_heap_known) {
      json->UInt(value);
    } else {
      json->Null();
    }
  };
  picture_field("malloc_heap_bytes", picture.malloc_heap_bytes);
  json->FieldUInt("malloc_arena_bytes", m.malloc_arena_bytes);
  json->FieldUInt("malloc_mmap_bytes", m.malloc_mmap_bytes);
  picture_field("malloc_in_use_bytes", picture.malloc_in_use_bytes);
  picture_field("malloc_free_bytes", picture.malloc_free_bytes);
  json->FieldUInt("malloc_arena_count", m.malloc_arena_count);
  json->FieldUInt("live_bytes", picture.live_bytes);
  json->FieldUInt("recorder_resident_bytes", m.self_resident_bytes);
  json->FieldUInt("recorder_reserved_bytes", m.self_reserved_bytes);
  json->FieldUInt("other_bytes", picture.other_bytes);
  if (report.allocator.fixed.flags & format::kAllocatorStats) {
    const format::AllocatorFixed& a = report.allocator.fixed;
    json->Key("jemalloc");
    json->BeginObject();
    json->FieldUInt("allocated_bytes", a.allocated);
    json->FieldUInt("active_bytes", a.active);
    json->FieldUInt("resident_bytes", a.resident);
    json->FieldUInt("mapped_bytes", a.mapped);
    json->FieldUInt("retained_bytes", a.retained);
    json->EndObject();
  }
  json->EndObject();
}

void WriteCountersJson(const Report& report, JsonWriter* json) {
  const format::CountersFixed& c = report.counters;
  json->Key("counters");
  json->BeginObject();
  json->FieldUInt("sampled_allocs", c.sampled_allocs);
  json->FieldUInt("dropped_live_full", c.dropped_live_full);
  json->FieldUInt("dropped_stack_full", c.dropped_stack_full);
  json->FieldUInt("unwind_failures", c.unwind_failures);
  json->FieldUInt("zlib_calls", c.zlib_calls);
  json->FieldUInt("dropped_streams_full", c.dropped_streams_full);
  json->FieldUInt("zlib_missing_real", c.zlib_missing_real);
  json->FieldUInt("truncated_walks", c.truncated_walks);
  json->EndObject();
  json->FieldBool("zlib_intercepted", c.zlib_calls > 0);
  json->Field("zlib_status", ZlibStatusName(report.zlib.status));
  json->Field("zlib_module", report.zlib.module);
  json->FieldBool("zlib_via_jdk_natives", report.zlib.via_jdk_natives);
  WriteJavaWalksJson(report.java, json);
}

void WriteSiteCounters(const SiteSummary& site, JsonWriter* json) {
  json->FieldUInt("live_bytes", site.live_bytes);
  json->FieldUInt("live_count", site.live_count);
  json->FieldUInt("alloc_bytes", site.alloc_bytes);
  json->FieldUInt("alloc_count", site.alloc_count);
  json->FieldUInt("sampled_live_bytes", site.sampled_live_bytes);
  json->FieldUInt("sampled_live_count", site.sampled_live_count);
  json->FieldUInt("sampled_alloc_bytes", site.sampled_alloc_bytes);
  json->FieldUInt("sampled_alloc_count", site.sampled_alloc_count);
}

}  // namespace

void FormatReportJson(const Report& report, const Symbolizer& symbolizer, size_t top,
                      std::string* out) {
  JsonWriter json(out);
  BeginJsonOutput("report", &json);
  WriteDumpJson(report, &json);
  WriteMemoryJson(report, &json);
  WriteCountersJson(report, &json);

  json.Key("totals");
  json.BeginObject();
  WriteSiteCounters(report.totals, &json);
  json.FieldUInt("sites", report.sites.size());
  json.EndObject();

  WriteTopArray("sites", report.sites.size(), top, &json, [&](size_t i) {
    json.FieldUInt("rank", i + 1);
    WriteSiteCounters(report.sites[i], &json);
    WriteAgesJson(report.sites[i].ages, /*older_than=*/true, &json);
    WriteStackJson(symbolizer, report.sites[i].stack, &json);
  });

  json.Key("streams");
  json.BeginArray();
  for (const StreamSummary& s : report.streams) {
    json.BeginObject();
    json.Field("kind", StreamKindName(s.kind));
    json.FieldUInt("open_count", s.open_count);
    json.FieldUInt("open_bytes", s.open_bytes);
    json.FieldUInt("opened_total", s.opened_total);
    WriteStackJson(symbolizer, s.stack, &json);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
}

}  // namespace leakscope::analyzer
