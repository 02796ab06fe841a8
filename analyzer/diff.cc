#include "diff.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "json_writer.h"
#include "output_format.h"
#include "units.h"

namespace leakscope {

DiffResult BuildDiff(Report old_report, Report new_report) {
  DiffResult diff;
  diff.same_process = old_report.process.fixed.pid == new_report.process.fixed.pid &&
                      old_report.process.fixed.instance_id == new_report.process.fixed.instance_id;
  absl::flat_hash_map<uint32_t, size_t> index;
  auto row = [&](uint32_t stack) -> DiffRow& {
    auto [it, inserted] = index.try_emplace(stack, diff.rows.size());
    if (inserted) diff.rows.push_back(DiffRow{.stack = stack});
    return diff.rows[it->second];
  };
  for (const SiteSummary& site : old_report.sites) {
    DiffRow& r = row(site.stack);
    r.old_live_bytes = site.live_bytes;
    r.old_live_count = site.live_count;
    r.old_sampled_live_count = site.sampled_live_count;
    r.alloc_bytes_change -= static_cast<int64_t>(site.alloc_bytes);
    r.alloc_count_change -= static_cast<int64_t>(site.alloc_count);
    r.sampled_alloc_count_change -= static_cast<int64_t>(site.sampled_alloc_count);
  }
  for (const SiteSummary& site : new_report.sites) {
    DiffRow& r = row(site.stack);
    r.new_live_bytes = site.live_bytes;
    r.new_live_count = site.live_count;
    r.new_sampled_live_count = site.sampled_live_count;
    r.alloc_bytes_change += static_cast<int64_t>(site.alloc_bytes);
    r.alloc_count_change += static_cast<int64_t>(site.alloc_count);
    r.sampled_alloc_count_change += static_cast<int64_t>(site.sampled_alloc_count);
  }
  std::erase_if(diff.rows, [](const DiffRow& r) {
    return r.live_bytes_change() == 0 && r.live_count_change() == 0;
  });
  std::stable_sort(diff.rows.begin(), diff.rows.end(), [](const DiffRow& a, const DiffRow& b) {
    if (a.live_bytes_change() != b.live_bytes_change()) {
      return a.live_bytes_change() > b.live_bytes_change();
    }
    return a.live_count_change() > b.live_count_change();
  });
  diff.old_report = std::move(old_report);
  diff.new_report = std::move(new_report);
  return diff;
}

namespace {

std::string DumpLabel(const Report& r) {
  return absl::StrCat("pid ", r.process.fixed.pid, " dump #", r.process.fixed.seq, " at ",
                      FormatUnixTime(r.process.fixed.time_unix_ns));
}

void MemoryRow(std::string_view label, uint64_t before, uint64_t after, std::string* out) {
  absl::StrAppendFormat(
      out, "  %-36s %12s %12s %14s\n", label, HumanBytes(before), HumanBytes(after),
      HumanBytesSigned(static_cast<int64_t>(after) - static_cast<int64_t>(before)));
}

// `exact`: both dumps recorded every allocation. `same_process`: the allocation counters of the
// two dumps run from the same start, so their difference is what was allocated in between.
void AppendRowText(size_t rank, const DiffRow& r, bool exact, bool same_process,
                   const Symbolizer& symbolizer, std::string* out) {
  absl::StrAppend(out, "\n#", rank, "  ", HumanBytesSigned(r.live_bytes_change()), " (",
                  ThousandsSigned(r.live_count_change()), " allocations");
  if (!exact) {
    absl::StrAppend(out, "; sampled ",
                    ThousandsSigned(static_cast<int64_t>(r.new_sampled_live_count) -
                                    static_cast<int64_t>(r.old_sampled_live_count)));
  }
  absl::StrAppend(out, "): ", HumanBytes(r.old_live_bytes), " -> ", HumanBytes(r.new_live_bytes),
                  " live");
  if (same_process) {
    absl::StrAppend(out, "; allocated in between: ", HumanBytesSigned(r.alloc_bytes_change), " in ",
                    ThousandsSigned(r.alloc_count_change));
  }
  absl::StrAppend(out, "\n");
  AppendStackText(symbolizer.frames(), symbolizer.stacks().Get(r.stack), "    ", out);
}

}  // namespace

void FormatDiffText(const DiffResult& diff, const Symbolizer& symbolizer, size_t top,
                    std::string* out) {
  const Report& a = diff.old_report;
  const Report& b = diff.new_report;
  absl::StrAppend(out, "leakscope diff: ", a.file, " -> ", b.file, "\n");
  absl::StrAppend(out, "Old: ", DumpLabel(a), "\nNew: ", DumpLabel(b), " (",
                  HumanDuration(b.process.fixed.time_unix_ns - a.process.fixed.time_unix_ns),
                  " later)\n");
  AppendJavaWalksText(b.java, "", out);  // the counters run from the start: the newer dump's
  if (!diff.same_process) {
    absl::StrAppend(out,
                    "Note: the dumps come from different processes; sites are matched by "
                    "symbolized stack.\n");
  } else if (b.process.fixed.seq < a.process.fixed.seq) {
    absl::StrAppend(out, "Note: NEW was taken before OLD; changes are negated.\n");
  }
  const bool exact = a.settings.sample_bytes <= 1 && b.settings.sample_bytes <= 1;
  if (!exact) {
    absl::StrAppend(out,
                    "Sampling: bytes and counts are estimates; the change in sampled live "
                    "allocations is in parentheses.\n");
  }
  absl::StrAppendFormat(out, "\nMemory %30s %12s %12s %14s\n", "", "old", "new", "change");
  MemoryRow("RSS", a.picture.rss_bytes, b.picture.rss_bytes, out);
  if (a.picture.malloc_heap_known && b.picture.malloc_heap_known) {
    MemoryRow("malloc heap", a.picture.malloc_heap_bytes, b.picture.malloc_heap_bytes, out);
    MemoryRow("  free but held by malloc", a.picture.malloc_free_bytes, b.picture.malloc_free_bytes,
              out);
  } else {
    // 0 would read as "malloc holds nothing" (see ComputeMemoryPicture).
    absl::StrAppendFormat(out, "  %-36s %12s %12s\n", "malloc heap",
                          a.picture.malloc_heap_known ? HumanBytes(a.picture.malloc_heap_bytes)
                                                      : std::string("unknown"),
                          b.picture.malloc_heap_known ? HumanBytes(b.picture.malloc_heap_bytes)
                                                      : std::string("unknown"));
  }
  MemoryRow("  live at recorded sites (est.)", a.picture.live_bytes, b.picture.live_bytes, out);
  MemoryRow("the rest (not malloc)", a.picture.other_bytes, b.picture.other_bytes, out);

  std::vector<const DiffRow*> growing, shrinking;
  for (const DiffRow& r : diff.rows)
    (r.live_bytes_change() >= 0 ? growing : shrinking).push_back(&r);
  std::reverse(shrinking.begin(), shrinking.end());  // largest shrink first
  auto section = [&](const char* title, const std::vector<const DiffRow*>& rows) {
    size_t shown = TopCount(top, rows.size());
    absl::StrAppend(out, "\n", title, ": ", Counted(rows.size(), "site"));
    if (shown < rows.size()) absl::StrAppend(out, "; top ", shown);
    absl::StrAppend(out, "\n");
    for (size_t i = 0; i < shown; ++i)
      AppendRowText(i + 1, *rows[i], exact, diff.same_process, symbolizer, out);
  };
  section("Growing", growing);
  section("Shrinking", shrinking);
}

void FormatDiffJson(const DiffResult& diff, const Symbolizer& symbolizer, size_t top,
                    std::string* out) {
  JsonWriter json(out);
  BeginJsonOutput("diff", &json);
  for (const Report* r : {&diff.old_report, &diff.new_report}) {
    json.Key(r == &diff.old_report ? "old" : "new");
    json.BeginObject();
    json.Field("file", r->file);
    json.FieldInt("pid", r->process.fixed.pid);
    json.FieldUInt("seq", r->process.fixed.seq);
    json.Field("instance_id", absl::StrFormat("%016x", r->process.fixed.instance_id));
    json.FieldInt("time_unix_ns", r->process.fixed.time_unix_ns);
    json.FieldInt("time_monotonic_ns", r->process.fixed.time_monotonic_ns);
    json.FieldUInt("rss_bytes", r->picture.rss_bytes);
    json.FieldUInt("malloc_heap_bytes", r->picture.malloc_heap_bytes);
    json.FieldUInt("malloc_free_bytes", r->picture.malloc_free_bytes);
    json.FieldUInt("live_bytes", r->picture.live_bytes);
    json.FieldUInt("other_bytes", r->picture.other_bytes);
    json.EndObject();
  }
  json.FieldBool("same_process", diff.same_process);
  size_t shown = TopCount(top, diff.rows.size());
  json.Key("sites");
  json.BeginArray();
  for (size_t i = 0; i < shown; ++i) {
    const DiffRow& r = diff.rows[i];
    std::span<const uint32_t> stack = symbolizer.stacks().Get(r.stack);
    json.BeginObject();
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
    json.FieldInt("caller_index", CallerIndex(symbolizer.frames(), stack));
    WriteFramesJson(symbolizer.frames(), stack, &json);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
}

}  // namespace leakscope
