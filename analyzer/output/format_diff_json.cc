// SPDX-License-Identifier: Apache-2.0
// The JSON of `leakscope diff`; its fields are documented in docs/json.md and must stay stable.
#include "absl/strings/str_format.h"
#include "output/dump_json.h"
#include "output/format_diff.h"
#include "output/frames_json.h"
#include "output/json_output.h"
#include "output/json_writer.h"
#include "output/top_count.h"

namespace leakscope::analyzer {

void FormatDiffJson(const DiffResult& diff, const Symbolizer& symbolizer, size_t top,
                    std::string* out) {
  JsonWriter json(out);
  BeginJsonOutput("diff", &json);
  for (const Report* r : {&diff.old_report, &diff.new_report}) {
    json.Key(r == &diff.old_report ? "old" : "new");
    json.BeginObject();
    WriteDumpIdentityJson(*r, DumpIdentity::kWithoutPpid, &json);
    json.FieldUInt("rss_bytes", r->picture.rss_bytes);
    json.FieldUInt("malloc_heap_bytes", r->picture.malloc_heap_bytes);
    json.FieldUInt("malloc_free_bytes", r->picture.malloc_free_bytes);
    json.FieldUInt("live_bytes", r->picture.live_bytes);
    json.FieldUInt("other_bytes", r->picture.other_bytes);
    json.EndObject();
  }
  json.FieldBool("same_process", diff.same_process);
  WriteTopArray("sites", diff.rows.size(), top, &json, [&](size_t i) {
    const DiffRow& r = diff.rows[i];
    json.FieldInt("live_bytes_change", r.live_bytes_change());
    json.FieldInt("live_count_change", r.live_count_change());
    json.FieldUInt("old_live_bytes", r.old_live_bytes);
    json.FieldUInt("new_live_bytes", r.new_live_bytes);
    json.FieldUInt("old_live_count", r.old_live_count);
    json.FieldUInt("new_live_count", r.new_live_count);
    json.FieldUInt("old_sampled_live_count", r.old_sampled_live_count);
    json.FieldUInt("new_sampled_live_count", r.new_sampled_live_count);
    json.FieldInt("alloc_bytes_change", r.alloc_bytes_change);
    json.FieldInt("alloc_count_change", r.alloc_count_change);
    json.FieldInt("sampled_alloc_count_change", r.sampled_alloc_count_change);
    WriteStackJson(symbolizer, r.stack, &json);
  });
  json.EndObject();
}

}  // namespace leakscope::analyzer
