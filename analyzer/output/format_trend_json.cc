// SPDX-License-Identifier: Apache-2.0
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
  json->Key("labels");
  json->BeginArray();
  for (const LabelledDump& l : p.labels) {
    json->BeginObject(/*inline_=*/true);
    json->FieldUInt("seq", l.seq);
    json->FieldInt("time_ns", l.time_ns);
    json->FieldInt("time_unix_ns", l.time_unix_ns);
    json->Field("label", l.label);
    json->EndObject();
  }
  json->EndArray();
}

namespace {

const char* EvidenceName(const SuspectTrend& s) {
  if (!s.sampled) return "exact";
  switch (s.evidence.verdict) {
    case GrowthVerdict::kSignificant:
      return "significant";
    case GrowthVerdict::kPossible:
      return "possible";
    case GrowthVerdict::kNone:
      break;
  }
  return "none";
}

// What a site's figures rest on (docs/json.md, trend): its sampled births and deaths and what
// they show; for exact dumps only "evidence": "exact".
void WriteGrowthEvidenceJson(const SuspectTrend& s, JsonWriter* json) {
  json->Field("evidence", EvidenceName(s));
  if (!s.sampled) return;
  const SampleEvents& e = s.events;
  const GrowthEvidence& g = s.evidence;
  json->FieldUInt("samples", g.samples);
  json->FieldUInt("sampled_births", e.births);
  json->FieldUInt("sampled_deaths", e.deaths);
  json->FieldUInt("sampled_late_births", e.late_births);
  json->FieldUInt("sampled_late_deaths", e.late_deaths);
  json->FieldDouble("p_value", g.p_value, 6);
  json->FieldDouble("late_p_value", g.late_p_value, 6);
  json->FieldDouble("growth_bytes", g.growth_bytes, 0);
  if (g.verdict != GrowthVerdict::kNone) {
    json->FieldDouble("growth_low_bytes", g.growth_low_bytes, 0);
    json->FieldDouble("growth_high_bytes", g.growth_high_bytes, 0);
  }
  json->FieldUInt("sample_bytes", s.sample_bytes);
  if (g.verdict == GrowthVerdict::kPossible) {
    json->FieldBool("stopped", g.stopped);
    if (g.settling_sample_bytes != 0) {
      json->FieldUInt("samples_needed", g.samples_needed);
      json->FieldUInt("settling_sample_bytes", g.settling_sample_bytes);
    } else {
      json->Key("samples_needed"), json->Null();
      json->Key("settling_sample_bytes"), json->Null();
    }
  }
}

}  // namespace

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
  WriteGrowthEvidenceJson(s, json);
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
  WriteTopArray("possible_growth", r.possible.size(), top, &json, [&](size_t i) {
    json.FieldUInt("rank", i + 1);
    WriteTrendSiteJson(r.possible[i], symbolizer, &json);
  });
  WriteTopArray("sites", r.sites.size(), top, &json, [&](size_t i) {
    json.FieldBool("suspect", r.sites[i].suspect);
    WriteTrendSiteJson(r.sites[i], symbolizer, &json);
  });
  json.EndObject();
}

}  // namespace leakscope::analyzer
