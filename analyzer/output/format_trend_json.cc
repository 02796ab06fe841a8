// The JSON of `leakscope trend`; its fields are documented in docs/json.md and must stay stable.
#include "absl/strings/str_format.h"
#include "output/ages_output.h"
#include "output/format_trend.h"
#include "output/frames_json.h"
#include "output/java_walks_output.h"
#include "output/json_output.h"
#include "output/recorder_version_json.h"
#include "output/top_count.h"

namespace leakscope::analyzer {

void WriteTrendProcessJson(const ProcessTrend& p, JsonWriter* json) {
  json->FieldInt("pid", p.pid);
  json->Field("instance_id", absl::StrFormat("%016x", p.instance_id));
  json->Field("host", p.host);
  json->Field("executable", p.executable);
  WriteRecorderVersionJson(p.recorder_version, json);
  json->FieldUInt("dumps", p.dumps);
  json->FieldUInt("first_seq", p.first_seq);
  json->FieldUInt("last_seq", p.last_seq);
  json->FieldInt("duration_ns", p.last_time_ns - p.first_time_ns);
  json->FieldUInt("first_rss_bytes", p.first_rss);
  json->FieldUInt("last_rss_bytes", p.last_rss);
  json->FieldUInt("last_live_bytes", p.last_live_bytes);
  json->FieldUInt("last_live_count", p.last_live_count);
  WriteJavaWalksJson(p.last_java, json);  // the walks counted up to the last dump
}

void WriteTrendSiteJson(const SuspectTrend& s, const Symbolizer& symbolizer, JsonWriter* json) {
  json->FieldDouble("growth_bytes_per_min", s.growth_bytes_per_min, 1);
  json->FieldUInt("live_bytes_last", s.live_bytes_last);
  json->FieldUInt("live_count_last", s.live_count_last);
  json->FieldUInt("sampled_live_count_last", s.sampled_live_count_last);
  WriteAgesJson(s.last_ages, /*older_than=*/false, json);  // of the last dumps
  json->FieldDouble("monotonic_fraction", s.monotonic_fraction(), 4);
  json->FieldUInt("intervals", s.intervals);
  json->FieldUInt("grew_intervals", s.grew);
  json->FieldUInt("shrank_intervals", s.shrank);
  json->FieldUInt("processes", s.processes);
  json->FieldUInt("processes_seen", s.processes_seen);
  WriteStackJson(symbolizer, s.stack, json);
}

void FormatTrendJson(const TrendResult& r, const Symbolizer& symbolizer, size_t top,
                     std::string* out) {
  JsonWriter json(out);
  BeginJsonOutput("trend", &json);
  json.FieldUInt("dumps_read", r.dumps_read);
  if (r.processes_left_out > 0) {
    json.FieldUInt("processes_left_out", r.processes_left_out);
    json.FieldUInt("dumps_left_out", r.dumps_left_out);
  }
  json.FieldStrings("errors", r.errors);
  json.Key("processes");
  json.BeginArray();
  for (const ProcessTrend& p : r.processes) {
    json.BeginObject(/*inline_=*/true);
    WriteTrendProcessJson(p, &json);
    json.EndObject();
  }
  json.EndArray();
  WriteTopArray("suspects", r.suspects.size(), top, &json, [&](size_t i) {
    json.FieldUInt("rank", i + 1);
    WriteTrendSiteJson(r.suspects[i], symbolizer, &json);
  });
  WriteTopArray("sites", r.sites.size(), top, &json, [&](size_t i) {
    json.FieldBool("suspect", r.sites[i].processes > 0);
    WriteTrendSiteJson(r.sites[i], symbolizer, &json);
  });
  json.EndObject();
}

}  // namespace leakscope::analyzer
