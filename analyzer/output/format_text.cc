// SPDX-License-Identifier: Apache-2.0
// The text report: what a person reads in a terminal.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "machine.h"
#include "output/absl_compat.h"
#include "output/ages_output.h"
#include "output/format_report.h"
#include "output/java_walks_output.h"
#include "output/stack_text.h"
#include "output/text_escape.h"
#include "output/top_count.h"
#include "output/units.h"

namespace leakscope::analyzer {

namespace {

void AppendRow(std::string_view label, uint64_t bytes, std::string_view note, std::string* out) {
  absl::StrAppendFormat(out, "  %-40s %12s%s%s\n", label, HumanBytes(bytes),
                        note.empty() ? "" : "  ", note);
}

void AppendHeader(const Report& report, std::string* out) {
  const format::ProcessFixed& p = report.process.fixed;
  // Fields that may hold a newline are escaped whole; the caller escapes the rest of the output.
  absl::StrAppend(out, "leakscope report: ", EscapeText(report.file), "\n");
  absl::StrAppend(out, "Process ", p.pid, " (parent ", p.ppid, ") on ",
                  EscapeText(report.process.host), ", dump #", p.seq, " at ",
                  FormatUnixTime(p.time_unix_ns), ", ",
                  HumanDuration(p.time_unix_ns - p.start_unix_ns), " after start\n");
  if (!report.process.args.empty()) {
    absl::StrAppend(
        out, "  ",
        absl::StrJoin(report.process.args, " ",
                      [](std::string* o, const std::string& a) { o->append(EscapeText(a)); }),
        "\n");
  } else if (!report.process.executable.empty()) {
    absl::StrAppend(out, "  ", EscapeText(report.process.executable), "\n");
  }
  // Dumps from before recorders wrote their version say nothing here (JSON says null).
  if (!report.recorder_version.empty()) {
    absl::StrAppend(out, "Recorder: leakscope ", EscapeText(report.recorder_version), "\n");
  }
  if (!report.label.empty()) absl::StrAppend(out, "Label: ", EscapeText(report.label), "\n");
  absl::StrAppend(out, "Architecture: ", MachineName(report.process.machine), "\n");
  if (report.settings.sample_bytes <= 1) {
    absl::StrAppend(out, "Sampling: every allocation recorded (exact)\n");
  } else {
    absl::StrAppend(out, "Sampling: one sample per ", HumanBytes(report.settings.sample_bytes),
                    " allocated on average; bytes and counts are estimates (sampled figures in "
                    "parentheses)\n");
  }
}

void AppendMemory(const Report& report, std::string* out) {
  const MemoryPicture& m = report.picture;
  absl::StrAppend(out, "\nMemory\n");
  AppendRow("RSS", m.rss_bytes, "", out);
  if (!m.malloc_heap_known) {
    // No figures of this allocator: 0 would read as "malloc holds nothing".
    absl::StrAppendFormat(out, "  %-40s %12s  %s\n", "malloc heap", "unknown",
                          absl::StrCat("(", m.allocator, "'s figures are not readable)"));
    AppendRow("  live at recorded sites (est.)", m.live_bytes, "", out);
  } else if (m.allocator == "jemalloc") {
    const format::AllocatorFixed& a = report.allocator.fixed;
    AppendRow(
        "  malloc heap (jemalloc: mapped)", m.malloc_heap_bytes,
        absl::StrCat(HumanBytes(a.resident), " resident, ", HumanBytes(a.retained), " retained"),
        out);
    AppendRow("    in use (jemalloc: allocated)", m.malloc_in_use_bytes, "", out);
    AppendRow("      live at recorded sites (est.)", m.live_bytes, "", out);
    AppendRow("    free but held by malloc", m.malloc_free_bytes, "", out);
  } else {
    AppendRow("  malloc heap (arenas + mmap'd blocks)", m.malloc_heap_bytes,
              Counted(report.memory.malloc_arena_count, "arena"), out);
    AppendRow("    in use", m.malloc_in_use_bytes, "", out);
    AppendRow("      live at recorded sites (est.)", m.live_bytes, "", out);
    AppendRow("    free but held by malloc", m.malloc_free_bytes, "", out);
  }
  AppendRow("  leakscope recorder", m.recorder_bytes, "", out);
  AppendRow("  the rest (JVM heap, code, stacks, mmap)", m.other_bytes, "", out);
  if (m.malloc_heap_bytes > 0 && m.malloc_free_bytes * 2 > m.malloc_heap_bytes) {
    absl::StrAppend(out,
                    "  Note: over half of malloc's heap is free but held (allocator retention, "
                    "not a leak; see MALLOC_ARENA_MAX).\n");
  }
  const AllocatorInfo& allocator = report.allocator;
  if (MallocUnrecorded(allocator)) {
    absl::StrAppend(out, "  Note: malloc was ", AV(allocator.path),
                    "'s, loaded in front of libleakscope.so: malloc, calloc, realloc and free "
                    "were NOT recorded. Put libleakscope.so first in LD_PRELOAD.\n");
  } else if (allocator.fixed.flags & format::kAllocatorHooked) {
    absl::StrAppend(out, "  Note: malloc was ", AV(allocator.path),
                    "'s, loaded in front of libleakscope.so: recorded through its own hooks.\n");
  }
}

void AppendSites(const Report& report, const Symbolizer& symbolizer, size_t top, std::string* out) {
  // Sites with a live sample; sites whose memory was all freed sort last and are not shown.
  size_t live_sites = 0;
  for (const SiteSummary& site : report.sites) live_sites += site.sampled_live_count > 0 ? 1 : 0;
  size_t shown = TopCount(top, live_sites);
  absl::StrAppend(out, "\nLive allocations: ", HumanBytes(report.totals.live_bytes), " in ",
                  Counted(report.totals.live_count, "allocation"), " at ",
                  Counted(live_sites, "site"));
  if (shown < live_sites) absl::StrAppend(out, "; top ", shown);
  absl::StrAppend(out, "\n");
  bool exact = report.settings.sample_bytes <= 1;
  for (size_t i = 0; i < shown; ++i) {
    const SiteSummary& site = report.sites[i];
    absl::StrAppend(out, "\n#", i + 1, "  ", HumanBytes(site.live_bytes), " live in ",
                    Counted(site.live_count, "allocation"));
    if (!exact) {
      absl::StrAppend(out, " (sampled: ", HumanBytes(site.sampled_live_bytes), " in ",
                      Thousands(site.sampled_live_count), ")");
    }
    absl::StrAppend(out, "; allocated so far: ", HumanBytes(site.alloc_bytes), " in ",
                    Thousands(site.alloc_count));
    if (!exact) absl::StrAppend(out, " (sampled: ", Thousands(site.sampled_alloc_count), ")");
    if (site.ages.known) absl::StrAppend(out, "; ", AgesText(site.ages));
    absl::StrAppend(out, "\n");
    AppendStackText(symbolizer.frames(), symbolizer.stacks().Get(site.stack), "    ", out);
  }
}

void AppendStreams(const Report& report, const Symbolizer& symbolizer, std::string* out) {
  const format::CountersFixed& c = report.counters;
  if (report.streams.empty()) {
    const ZlibFinding& zlib = report.zlib;
    if (zlib.status == ZlibStatus::kBundled) {
      absl::StrAppend(
          out, "\nzlib streams: attribution unavailable. zlib is built into ", zlib.module,
          " (as in Temurin's JDK), so its calls never reach the recorder and streams cannot be "
          "charged to the stacks that opened them. The malloc stacks above still show their "
          "memory: look for Java_java_util_zip_Inflater_* and Deflater_* callers and zlib "
          "frames (inflate, updatewindow, deflateInit2_) in ",
          AV(Basename(zlib.module)), ".\n");
    } else if (zlib.status == ZlibStatus::kNoCalls) {
      absl::StrAppend(out, "\nzlib streams: none; ", zlib.module,
                      " is loaded but no stream was opened.\n");
    } else if (c.zlib_calls == 0) {
      absl::StrAppend(out,
                      "\nzlib streams: none; no zlib library is loaded (a zlib linked "
                      "statically into the program would not be seen either).\n");
    } else {
      absl::StrAppend(out, "\nzlib streams: none open (", Thousands(c.zlib_calls),
                      " zlib calls intercepted).\n");
    }
    return;
  }
  uint64_t open = 0, bytes = 0;
  for (const StreamSummary& s : report.streams) {
    open += s.open_count;
    bytes += s.open_bytes;
  }
  absl::StrAppend(out, "\nOpen zlib streams: ", Thousands(open), " holding ", HumanBytes(bytes),
                  " at ", Counted(report.streams.size(), "site"), "\n");
  if (report.zlib.via_jdk_natives) {
    absl::StrAppend(out, "  (recorded through the JDK's Inflater/Deflater natives; zlib in ",
                    report.zlib.module.empty() ? "an unknown module" : report.zlib.module, ")\n");
  }
  for (size_t i = 0; i < report.streams.size(); ++i) {
    const StreamSummary& s = report.streams[i];
    absl::StrAppend(out, "\n#", i + 1, "  ", StreamKindName(s.kind), ": ", Thousands(s.open_count),
                    " open holding ", HumanBytes(s.open_bytes), "; ", Thousands(s.opened_total),
                    " opened so far\n");
    AppendStackText(symbolizer.frames(), symbolizer.stacks().Get(s.stack), "    ", out);
  }
}

// "  <label>: <count><text>" on a line of its own; nothing when the recorder never counted one.
void AppendCounterNote(std::string_view label, uint64_t count, std::string_view text,
                       std::string* out) {
  if (count == 0) return;
  absl::StrAppend(out, "  ", AV(label), ": ", Thousands(count), AV(text), "\n");
}

void AppendCounters(const Report& report, std::string* out) {
  const format::CountersFixed& c = report.counters;
  absl::StrAppend(out, "\nRecorder: ", Thousands(c.sampled_allocs), " sampled allocations, ",
                  Thousands(c.zlib_calls), " zlib calls intercepted\n");
  AppendJavaWalksText(report.java, "", out);
  AppendCounterNote("Warning", c.dropped_live_full,
                    " sampled allocations not recorded, live table full (raise "
                    "LEAKSCOPE_MAX_LIVE): live bytes are underestimated.",
                    out);
  AppendCounterNote("Warning", c.dropped_stack_full,
                    " sampled allocations charged to [stack table full] (raise "
                    "LEAKSCOPE_MAX_STACKS).",
                    out);
  AppendCounterNote("Note", c.unwind_failures, " stacks could not be unwound ([no stack]).", out);
  AppendCounterNote("Note", c.truncated_walks,
                    " stacks end early, at a frame whose unwind rule the recorder does not follow.",
                    out);
  AppendCounterNote("Warning", c.dropped_streams_full,
                    " zlib streams not recorded, stream table full (raise "
                    "LEAKSCOPE_MAX_STREAMS).",
                    out);
  AppendCounterNote("Warning", c.zlib_missing_real,
                    " zlib calls whose real function could not be found.", out);
}

}  // namespace

void FormatReportText(const Report& report, const Symbolizer& symbolizer, size_t top,
                      std::string* out) {
  AppendHeader(report, out);
  AppendMemory(report, out);
  AppendSites(report, symbolizer, top, out);
  AppendStreams(report, symbolizer, out);
  AppendCounters(report, out);
}

}  // namespace leakscope::analyzer
