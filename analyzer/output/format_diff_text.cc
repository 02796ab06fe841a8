// SPDX-License-Identifier: Apache-2.0
// The text of `leakscope diff`: what a person reads in a terminal.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "output/format_diff.h"
#include "output/java_walks_output.h"
#include "output/stack_text.h"
#include "output/text_escape.h"
#include "output/top_count.h"
#include "output/units.h"

namespace leakscope::analyzer {

namespace {

std::string DumpLabel(const Report& r) {
  std::string text = absl::StrCat("pid ", r.process.fixed.pid, " dump #", r.process.fixed.seq,
                                  " at ", FormatUnixTime(r.process.fixed.time_unix_ns));
  if (!r.label.empty()) absl::StrAppend(&text, ", label \"", EscapeText(r.label), "\"");
  return text;
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

}  // namespace leakscope::analyzer
