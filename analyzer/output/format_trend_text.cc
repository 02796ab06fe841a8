// SPDX-License-Identifier: Apache-2.0
// The text of `leakscope trend`: what a person reads in a terminal.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "output/ages_output.h"
#include "output/format_trend.h"
#include "output/java_walks_output.h"
#include "output/stack_text.h"
#include "output/text_escape.h"
#include "output/top_count.h"
#include "output/units.h"

namespace leakscope::analyzer {
namespace {

int64_t Round(double x) { return static_cast<int64_t>(x >= 0 ? x + 0.5 : x - 0.5); }

std::string Rate(double bytes_per_min) {
  return absl::StrCat(HumanBytesSigned(Round(bytes_per_min)), "/min");
}

void AppendProcessesText(const TrendResult& r, std::string* out) {
  absl::StrAppend(out, "Processes: ", r.processes.size(), " (", r.dumps_read, " dumps read");
  if (!r.errors.empty()) absl::StrAppend(out, ", ", r.errors.size(), " unreadable");
  if (r.processes_left_out > 0) {
    absl::StrAppend(out, "; ", r.processes_left_out,
                    r.processes_left_out == 1 ? " other process" : " other processes", " (",
                    Counted(r.dumps_left_out, "dump"), ") left out by --process");
  }
  absl::StrAppend(out, ")\n");
  for (const ProcessTrend& p : r.processes) {
    absl::StrAppendFormat(out, "  pid %d (instance %016x) on %s: %d dumps, seq %d..%d over %s; ",
                          p.pid, p.instance_id, EscapeText(p.host), p.dumps, p.first_seq,
                          p.last_seq, HumanDuration(p.last_time_ns - p.first_time_ns));
    absl::StrAppend(out, "RSS ", HumanBytes(p.first_rss), " -> ", HumanBytes(p.last_rss),
                    ", live at sites ", HumanBytes(p.last_live_bytes), " in ",
                    Counted(p.last_live_count, "allocation"), "\n");
    if (!p.recorder_version.empty()) {
      absl::StrAppend(out, "    recorder: leakscope ", EscapeText(p.recorder_version), "\n");
    }
    AppendJavaWalksText(p.last_java, "    ", out);  // the walks counted up to the last dump
    // The labelled dumps on the process's time axis (from its first dump, as the slopes use).
    for (const LabelledDump& l : p.labels) {
      absl::StrAppend(out, "    label at +", HumanDuration(l.time_ns), " (dump #", l.seq, ", ",
                      FormatUnixTime(l.time_unix_ns), "): ", EscapeText(l.label), "\n");
    }
  }
}

// A LEAKSCOPE_SAMPLE_BYTES value as a person would type it (the value is a power of two).
std::string SampleBytesSetting(uint64_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return absl::StrCat(bytes >> 20, "M");
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return absl::StrCat(bytes >> 10, "K");
  return absl::StrCat(bytes);
}

// What the site's figures rest on: its samples over the series, or every allocation.
std::string EvidenceText(const SuspectTrend& s) {
  if (!s.sampled) return "every allocation recorded";
  const SampleEvents& e = s.events;
  return absl::StrFormat("%s: %d new, %s freed (p = %.2g)", Counted(s.evidence.samples, "sample"),
                         e.births, e.deaths == 0 ? "none" : absl::StrCat(e.deaths),
                         s.evidence.p_value);
}

void AppendSiteText(const std::string& rank, const SuspectTrend& s, const Symbolizer& symbolizer,
                    size_t process_count, std::string* out) {
  absl::StrAppend(out, "\n", rank, "  ", Rate(s.growth_bytes_per_min), ", ",
                  HumanBytes(s.live_bytes_last), " in ", Counted(s.live_count_last, "allocation"),
                  " live in the last dump", s.processes_seen > 1 ? "s" : "", "; grew in ", s.grew,
                  " of ", s.intervals, " intervals, shrank in ", s.shrank);
  if (process_count > 1) {
    absl::StrAppend(out, "; growing in ", s.processes, " of ", process_count, " processes");
  }
  absl::StrAppend(out, "; ", EvidenceText(s));
  if (s.last_ages.known) absl::StrAppend(out, "; ", AgesText(s.last_ages));
  absl::StrAppend(out, "\n");
  if (s.sampled && s.evidence.verdict != GrowthVerdict::kNone) {
    const GrowthEvidence& g = s.evidence;
    absl::StrAppend(out, "    growth over the series ", HumanBytesSigned(Round(g.growth_bytes)),
                    " (90 % interval ", HumanBytesSigned(Round(g.growth_low_bytes)), " to ",
                    HumanBytesSigned(Round(g.growth_high_bytes)), ")\n");
  }
  if (s.sampled && s.evidence.verdict == GrowthVerdict::kPossible) {
    const GrowthEvidence& g = s.evidence;
    if (g.stopped) {
      absl::StrAppend(out,
                      "    grew, then stopped: no evidence of growth in the second half "
                      "(a cache that filled?)\n");
    } else if (g.settling_sample_bytes != 0) {
      absl::StrAppend(out, "    about ", g.samples_needed,
                      " samples would settle it: LEAKSCOPE_SAMPLE_BYTES=",
                      SampleBytesSetting(g.settling_sample_bytes), " over as many dumps\n");
    }
  }
  // Possible growth is a lead, not a finding: its stack up to a few frames past the caller.
  constexpr size_t kPossibleFramesAfterCaller = 3;
  bool possible = s.sampled && s.evidence.verdict == GrowthVerdict::kPossible && !s.suspect;
  AppendStackText(symbolizer.frames(), symbolizer.stacks().Get(s.stack), "    ", out,
                  possible ? kPossibleFramesAfterCaller : SIZE_MAX);
}

}  // namespace

void FormatTrendText(const TrendResult& r, const Symbolizer& symbolizer, size_t top, bool all,
                     std::string* out) {
  absl::StrAppend(out, "leakscope trend\n");
  AppendProcessesText(r, out);
  size_t shown = TopCount(top, r.suspects.size());
  absl::StrAppend(out, "\nLeak suspects: ", r.suspects.size(),
                  r.suspects.size() == 1 ? " site grows" : " sites grow", " steadily");
  if (shown < r.suspects.size()) absl::StrAppend(out, "; top ", shown);
  absl::StrAppend(out, "\n");
  if (r.suspects.empty()) {
    absl::StrAppend(out, "  (none");
    if (r.dumps_read < 2 * r.processes.size() || r.processes.empty()) {
      absl::StrAppend(out, ": trend needs at least two dumps of a process");
    }
    absl::StrAppend(out, ")\n");
  }
  for (size_t i = 0; i < shown; ++i) {
    AppendSiteText(absl::StrCat("#", i + 1), r.suspects[i], symbolizer, r.processes.size(), out);
  }
  if (!r.possible.empty()) {
    size_t n = TopCount(top, r.possible.size());
    absl::StrAppend(out,
                    "\nPossible growth, not yet significant: ", Counted(r.possible.size(), "site"));
    if (n < r.possible.size()) absl::StrAppend(out, "; top ", n);
    absl::StrAppend(out, "\n");
    for (size_t i = 0; i < n; ++i) {
      AppendSiteText(absl::StrCat("?", i + 1), r.possible[i], symbolizer, r.processes.size(), out);
    }
  }
  if (all) {
    std::vector<const SuspectTrend*> others;
    for (const SuspectTrend& s : r.sites) {
      if (!s.suspect) others.push_back(&s);
    }
    size_t n = TopCount(top, others.size());
    absl::StrAppend(out, "\nOther sites: ", others.size());
    if (n < others.size()) absl::StrAppend(out, "; top ", n);
    absl::StrAppend(out, "\n");
    for (size_t i = 0; i < n; ++i) {
      AppendSiteText(absl::StrCat("#", i + 1), *others[i], symbolizer, r.processes.size(), out);
    }
  }
}

}  // namespace leakscope::analyzer
