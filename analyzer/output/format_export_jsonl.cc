// SPDX-License-Identifier: Apache-2.0
#include "output/format_export_jsonl.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "analysis/site_key.h"
#include "output/json_writer.h"

namespace leakscope::analyzer {
namespace {

// A frame as one string: Java frames as Java prints them, native ones as
// "function (module) file:line", "module+0xoffset (module)" when unnamed.
std::string FrameText(const Frame& f) {
  if (f.kind == FrameKind::kJava) return f.JavaText();
  std::string text = f.DisplayName();
  if (!f.module.empty()) absl::StrAppend(&text, " (", std::string(Basename(f.module)), ")");
  if (std::string location = f.Location(); !location.empty()) absl::StrAppend(&text, " ", location);
  if (f.inlined) text += " [inlined]";
  return text;
}

}  // namespace

void AppendExportJsonl(const ExportDump& dump, const Symbolizer& symbolizer, std::string* out) {
  const ProcessInfo& p = *dump.process;
  for (const ExportSite& site : dump.sites) {
    JsonWriter json(out);
    json.BeginObject(/*inline_=*/true);
    json.FieldInt("pid", p.fixed.pid);
    json.Field("instance_id", absl::StrFormat("%016x", p.fixed.instance_id));
    json.Field("host", p.host);
    json.Key("executor");
    if (dump.executor) {
      json.String(*dump.executor);
    } else {
      json.Null();
    }
    json.FieldUInt("seq", p.fixed.seq);
    json.FieldInt("time_unix_ns", p.fixed.time_unix_ns);
    json.FieldInt("time_monotonic_ns", p.fixed.time_monotonic_ns);
    json.Field("site", SiteKeyHex(site.key));
    json.FieldUInt("live_bytes", site.live_bytes);
    json.FieldUInt("live_count", site.live_count);
    if (site.first_in_process) {
      json.Key("frames");
      json.BeginArray(/*inline_=*/true);
      for (uint32_t id : symbolizer.stacks().Get(site.stack)) {
        json.String(FrameText(symbolizer.frames().Get(id)));
      }
      json.EndArray();
    }
    json.EndObject();  // a top-level value ends its line
  }
}

}  // namespace leakscope::analyzer
