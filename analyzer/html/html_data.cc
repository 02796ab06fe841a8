// SPDX-License-Identifier: Apache-2.0
#include "html/html_data.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "analysis/report.h"
#include "dump.h"
#include "html/flame_tree.h"
#include "output/format_trend.h"
#include "output/frames_json.h"
#include "output/json_output.h"
#include "output/json_writer.h"
#include "output/top_count.h"

namespace leakscope::analyzer {
namespace {

// One dump of a process, as the page draws it.
struct Point {
  uint64_t seq = 0;
  int64_t time_monotonic_ns = 0;
  int64_t time_unix_ns = 0;
  MemoryPicture picture;
};

using StreamKey = std::pair<uint32_t, uint32_t>;  // (stack, kind)

// A zlib opening site (stack, kind) in one process: one value per dump of the process.
struct StreamSeries {
  std::vector<uint64_t> open_count;
  std::vector<uint64_t> open_bytes;
  uint64_t opened_total = 0;  // at the last dump
  uint64_t max_open_bytes = 0, max_open_count = 0;
};

// The live bytes of one stack at each dump of a process, kept as the points where they change:
// the suspects are known only once the trend has read every dump, so the series of every stack
// is kept until then. A site that holds still costs nothing per dump; a leaking one costs an
// entry per dump, as its series on the page does.
struct LiveSeries {
  std::vector<std::pair<uint32_t, uint64_t>> changes;  // (point, live bytes from that point on)
  uint64_t current = 0;
  uint32_t seen = 0;  // 1 + the last point whose dump had this stack

  // One value per point of `points` points, 0 before the first change.
  std::vector<uint64_t> Expand(size_t points) const {
    std::vector<uint64_t> values(points, 0);
    for (size_t c = 0; c < changes.size(); ++c) {
      size_t end = c + 1 < changes.size() ? changes[c + 1].first : points;
      std::fill(values.begin() + changes[c].first, values.begin() + end, changes[c].second);
    }
    return values;
  }
};

struct ProcessData {
  int64_t pid = 0;
  uint64_t instance_id = 0;
  uint64_t sample_bytes = 0;
  std::vector<Point> points;
  absl::flat_hash_map<uint32_t, LiveSeries> live;   // by stack
  std::vector<std::vector<uint64_t>> suspect_live;  // [suspect][point], from `live` at the end
  std::map<StreamKey, StreamSeries> streams;
  absl::flat_hash_map<uint32_t, uint64_t> first_live;  // by stack, at the first dump
  std::vector<SiteSummary> last_sites;                 // of the last dump
};

// A dump's sites merged by stack, largest first, and its streams merged by stack and kind: what
// BuildReport makes of them, from the stacks the trend found (no symbolizing here).
struct DumpSummary {
  std::vector<SiteSummary> sites;
  std::vector<StreamSummary> streams;
  uint64_t live_bytes = 0;
};

DumpSummary Summarize(const Dump& dump, const DumpStacks& stacks) {
  DumpSummary summary;
  absl::flat_hash_map<uint32_t, size_t> by_stack;
  for (size_t i = 0; i < dump.sites.size(); ++i) {
    SiteSummary site = SummarizeSite(dump.sites[i], stacks.sites[i]);
    auto [it, inserted] = by_stack.try_emplace(site.stack, summary.sites.size());
    if (inserted) {
      summary.sites.push_back(site);
    } else {
      summary.sites[it->second].Add(site);
    }
    summary.live_bytes += site.live_bytes;
  }
  SortSitesByLive(&summary.sites);
  absl::flat_hash_map<StreamKey, size_t> by_stream;
  for (size_t i = 0; i < dump.streams.size(); ++i) {
    const format::StreamsFixed& record = dump.streams[i];
    StreamKey key{stacks.streams[i], record.kind};
    auto [it, inserted] = by_stream.try_emplace(key, summary.streams.size());
    if (inserted) summary.streams.push_back(StreamSummary{.stack = key.first, .kind = key.second});
    StreamSummary& s = summary.streams[it->second];
    s.open_count += record.open_count;
    s.open_bytes += record.open_bytes;
    s.opened_total += record.opened_total;
  }
  return summary;
}

// Adds one dump, as AnalyzeTrend reads it, to its process's series.
void AddDump(const Dump& dump, const DumpStacks& stacks, ProcessData* data) {
  DumpSummary report = Summarize(dump, stacks);
  const format::ProcessFixed& process = dump.process.fixed;
  if (data->points.empty()) {
    data->pid = process.pid;
    data->instance_id = process.instance_id;
  }
  data->sample_bytes = dump.settings.sample_bytes;
  data->points.push_back(
      Point{.seq = process.seq,
            .time_monotonic_ns = process.time_monotonic_ns,
            .time_unix_ns = process.time_unix_ns,
            .picture = ComputeMemoryPicture(dump.memory, dump.allocator, report.live_bytes)});
  const uint32_t n = static_cast<uint32_t>(data->points.size());
  for (const SiteSummary& site : report.sites) {  // one entry per stack
    LiveSeries& series = data->live[site.stack];
    series.seen = n;
    if (series.current != site.live_bytes) {
      series.changes.emplace_back(n - 1, site.live_bytes);
      series.current = site.live_bytes;
    }
  }
  for (auto& [stack, series] : data->live) {
    if (series.seen != n && series.current != 0) {  // gone from this dump: nothing live
      series.changes.emplace_back(n - 1, 0);
      series.current = 0;
    }
  }
  for (const StreamSummary& s : report.streams) {
    StreamSeries& series = data->streams[{s.stack, s.kind}];
    // A site first seen now had no open streams before.
    series.open_count.resize(n, 0);
    series.open_bytes.resize(n, 0);
    series.open_count.back() = s.open_count;
    series.open_bytes.back() = s.open_bytes;
    series.opened_total = s.opened_total;
    series.max_open_bytes = std::max(series.max_open_bytes, s.open_bytes);
    series.max_open_count = std::max(series.max_open_count, s.open_count);
  }
  for (auto& [key, series] : data->streams) {
    series.open_count.resize(n, 0);
    series.open_bytes.resize(n, 0);
  }
  if (n == 1) {
    for (const SiteSummary& site : report.sites) data->first_live[site.stack] = site.live_bytes;
  }
  data->last_sites = std::move(report.sites);
}

// Once the suspects are known: their series, and the last dump's live bytes and the growth
// since the first added to the trees.
void FinishProcess(const absl::flat_hash_map<uint32_t, size_t>& suspect_of_stack, size_t suspects,
                   const Symbolizer& symbolizer, ProcessData* data, FlameTree* live,
                   FlameTree* growth) {
  data->suspect_live.assign(suspects, std::vector<uint64_t>(data->points.size(), 0));
  for (const auto& [stack, index] : suspect_of_stack) {
    if (auto it = data->live.find(stack); it != data->live.end()) {
      data->suspect_live[index] = it->second.Expand(data->points.size());
    }
  }
  data->live.clear();
  for (const SiteSummary& site : data->last_sites) {
    std::span<const uint32_t> stack = symbolizer.stacks().Get(site.stack);
    live->Add(stack, site.live_bytes);
    auto first = data->first_live.find(site.stack);
    uint64_t before = first == data->first_live.end() ? 0 : first->second;
    if (site.live_bytes > before) growth->Add(stack, site.live_bytes - before);
  }
}

void WriteUIntArray(std::string_view key, const std::vector<uint64_t>& values, JsonWriter* json) {
  json->Key(key);
  json->BeginArray(/*inline_=*/true);
  for (uint64_t v : values) json->UInt(v);
  json->EndArray();
}

template <typename F>
void WritePointArray(std::string_view key, const std::vector<Point>& points, F get,
                     JsonWriter* json) {
  json->Key(key);
  json->BeginArray(/*inline_=*/true);
  for (const Point& p : points) json->Int(static_cast<int64_t>(get(p)));
  json->EndArray();
}

void WriteProcess(const ProcessData& data, const ProcessTrend* trend, JsonWriter* json) {
  json->BeginObject();
  if (trend != nullptr) {
    WriteTrendProcessJson(*trend, json);  // the same fields as `trend --format json`
  } else {
    json->FieldInt("pid", data.pid);
    json->Field("instance_id", absl::StrFormat("%016x", data.instance_id));
  }
  json->FieldUInt("sample_bytes", data.sample_bytes);
  json->Key("points");
  json->BeginObject();
  const int64_t t0 = data.points.empty() ? 0 : data.points[0].time_monotonic_ns;
  WritePointArray(
      "seq", data.points, [](const Point& p) { return p.seq; }, json);
  WritePointArray(
      "time_ns", data.points, [t0](const Point& p) { return p.time_monotonic_ns - t0; }, json);
  WritePointArray(
      "time_unix_ns", data.points, [](const Point& p) { return p.time_unix_ns; }, json);
  WritePointArray(
      "rss_bytes", data.points, [](const Point& p) { return p.picture.rss_bytes; }, json);
  WritePointArray(
      "live_bytes", data.points, [](const Point& p) { return p.picture.live_bytes; }, json);
  WritePointArray(
      "malloc_in_use_bytes", data.points,
      [](const Point& p) { return p.picture.malloc_in_use_bytes; }, json);
  WritePointArray(
      "malloc_free_bytes", data.points, [](const Point& p) { return p.picture.malloc_free_bytes; },
      json);
  WritePointArray(
      "malloc_heap_bytes", data.points, [](const Point& p) { return p.picture.malloc_heap_bytes; },
      json);
  WritePointArray(
      "recorder_bytes", data.points, [](const Point& p) { return p.picture.recorder_bytes; }, json);
  WritePointArray(
      "other_bytes", data.points, [](const Point& p) { return p.picture.other_bytes; }, json);
  json->EndObject();
  json->EndObject();
}

void WriteFlame(std::string_view key, const FlameTree& tree, size_t max_nodes,
                const std::function<uint32_t(uint32_t)>& frame_index, JsonWriter* json) {
  uint64_t min_value = tree.ThresholdFor(max_nodes);
  json->Key(key);
  json->BeginObject();
  json->FieldUInt("total", tree.total());
  json->FieldUInt("nodes", tree.size());
  json->FieldUInt("min_value", min_value);
  json->Key("tree");
  tree.WriteJson(min_value, frame_index, json);
  json->EndObject();
}

}  // namespace

size_t BuildHtmlData(const std::vector<std::string>& files, const HtmlOptions& options,
                     Symbolizer* symbolizer, std::string* out, std::vector<std::string>* errors,
                     const std::function<void(size_t, size_t)>& progress) {
  // What the page shows beyond the trend is collected as the trend reads each dump, so every
  // dump is read (and symbolized) once.
  // By the trend's process number; a process's dumps come from one worker, so only finding its
  // entry needs the lock.
  std::map<size_t, ProcessData> by_number;
  std::mutex by_number_lock;
  auto on_dump = [&](size_t process, const DumpEntry&, const Dump& dump, const DumpStacks& stacks) {
    ProcessData* data;
    {
      std::lock_guard<std::mutex> lock(by_number_lock);
      data = &by_number[process];  // std::map: the entry stays where it is as others are added
    }
    AddDump(dump, stacks, data);
  };
  TrendResult trend = AnalyzeTrend(files, options.trend, symbolizer, progress, on_dump);
  *errors = trend.errors;
  std::vector<ProcessData> processes;
  processes.reserve(by_number.size());
  for (auto& [number, data] : by_number) processes.push_back(std::move(data));
  by_number.clear();

  size_t shown = TopCount(options.top, trend.suspects.size());
  absl::flat_hash_map<uint32_t, size_t> suspect_of_stack;
  for (size_t i = 0; i < shown; ++i) suspect_of_stack[trend.suspects[i].stack] = i;
  FlameTree live, growth;
  for (ProcessData& data : processes) {
    FinishProcess(suspect_of_stack, shown, *symbolizer, &data, &live, &growth);
  }

  // Opening sites by the most bytes (then streams) they held open at any dump of any process.
  std::map<StreamKey, std::pair<uint64_t, uint64_t>> stream_peaks;
  for (const ProcessData& p : processes) {
    for (const auto& [key, series] : p.streams) {
      auto& peak = stream_peaks[key];
      peak.first = std::max(peak.first, series.max_open_bytes);
      peak.second = std::max(peak.second, series.max_open_count);
    }
  }
  std::vector<std::pair<StreamKey, std::pair<uint64_t, uint64_t>>> streams(stream_peaks.begin(),
                                                                           stream_peaks.end());
  std::stable_sort(streams.begin(), streams.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (options.max_streams != 0 && streams.size() > options.max_streams) {
    streams.resize(options.max_streams);
  }

  const Symbolizer& sym = *symbolizer;
  JsonWriter json(out);
  BeginJsonOutput("html", &json);
  json.FieldUInt("dumps_read", trend.dumps_read);
  json.FieldStrings("errors", trend.errors);

  json.Key("processes");
  json.BeginArray();
  for (const ProcessData& p : processes) {
    const ProcessTrend* match = nullptr;
    for (const ProcessTrend& t : trend.processes) {
      if (t.pid == p.pid && t.instance_id == p.instance_id) match = &t;
    }
    WriteProcess(p, match, &json);
  }
  json.EndArray();

  json.FieldUInt("suspect_count", trend.suspects.size());
  json.Key("suspects");
  json.BeginArray();
  for (size_t i = 0; i < shown; ++i) {
    json.BeginObject();
    json.FieldUInt("rank", i + 1);
    WriteTrendSiteJson(trend.suspects[i], sym, &json);
    json.Key("series");
    json.BeginArray();
    for (size_t p = 0; p < processes.size(); ++p) {
      const std::vector<uint64_t>& values = processes[p].suspect_live[i];
      if (std::all_of(values.begin(), values.end(), [](uint64_t v) { return v == 0; })) continue;
      json.BeginObject(/*inline_=*/true);
      json.FieldUInt("process", p);
      WriteUIntArray("live_bytes", values, &json);
      json.EndObject();
    }
    json.EndArray();
    json.EndObject();
  }
  json.EndArray();

  // Sampled sites that grew without being significant (trend's possible growth), as many as
  // suspects are shown.
  size_t possible_shown = TopCount(options.top, trend.possible.size());
  json.FieldUInt("possible_growth_count", trend.possible.size());
  json.Key("possible_growth");
  json.BeginArray();
  for (size_t i = 0; i < possible_shown; ++i) {
    json.BeginObject();
    json.FieldUInt("rank", i + 1);
    WriteTrendSiteJson(trend.possible[i], sym, &json);
    json.EndObject();
  }
  json.EndArray();

  json.Key("streams");
  json.BeginArray();
  for (const auto& [key, peak] : streams) {
    json.BeginObject();
    json.Field("kind", StreamKindName(key.second));
    json.FieldUInt("max_open_bytes", peak.first);
    json.FieldUInt("max_open_count", peak.second);
    WriteStackJson(sym, key.first, &json);
    json.Key("series");
    json.BeginArray();
    for (size_t p = 0; p < processes.size(); ++p) {
      auto it = processes[p].streams.find(key);
      if (it == processes[p].streams.end()) continue;
      json.BeginObject(/*inline_=*/true);
      json.FieldUInt("process", p);
      json.FieldUInt("opened_total", it->second.opened_total);
      WriteUIntArray("open_count", it->second.open_count, &json);
      WriteUIntArray("open_bytes", it->second.open_bytes, &json);
      json.EndObject();
    }
    json.EndArray();
    json.EndObject();
  }
  json.EndArray();

  // The trees refer to frames by index into one table, written after them and holding only
  // the frames they use.
  std::vector<uint32_t> used;
  absl::flat_hash_map<uint32_t, uint32_t> index_of;
  auto frame_index = [&](uint32_t id) {
    auto [it, inserted] = index_of.try_emplace(id, static_cast<uint32_t>(used.size()));
    if (inserted) used.push_back(id);
    return it->second;
  };
  json.Key("flame");
  json.BeginObject();
  WriteFlame("live", live, options.max_flame_nodes, frame_index, &json);
  WriteFlame("growth", growth, options.max_flame_nodes, frame_index, &json);
  json.Key("frames");
  json.BeginArray();
  for (uint32_t id : used) {
    const Frame& f = sym.frames().Get(id);
    json.BeginArray(/*inline_=*/true);
    json.String(f.DisplayName());
    json.String(Basename(f.module));
    json.String(FrameKindName(f.kind));
    json.String(f.Location());
    json.Bool(f.allocator);
    json.EndArray();
  }
  json.EndArray();
  json.EndObject();
  json.EndObject();
  return trend.dumps_read;
}

}  // namespace leakscope::analyzer
