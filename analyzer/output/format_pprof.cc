// SPDX-License-Identifier: Apache-2.0
// `report --format pprof` and `diff --format pprof`: one sample per recorded stack
// (pprof_builder.h says what the locations, mappings and drop_frames hold).
#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "output/format_diff.h"
#include "output/format_report.h"
#include "output/pprof_builder.h"
#include "output/top_count.h"

namespace leakscope::analyzer {
namespace {

void AddSampleTypes(PprofBuilder* builder) {
  builder->AddSampleType("inuse_objects", "count");
  builder->AddSampleType("inuse_space", "bytes");
  builder->AddSampleType("alloc_objects", "count");
  builder->AddSampleType("alloc_space", "bytes");
}

// The report's recorded stacks of `stacks` as samples of one process, values times `sign`
// (-1: pprof's -diff_base samples, labelled so).
void AddSamples(const Report& report, const Symbolizer& symbolizer,
                const absl::flat_hash_set<uint32_t>& stacks, int64_t sign, PprofBuilder* builder) {
  uint32_t process = builder->AddProcess(report.modules);
  if (report.recorded.empty()) {
    // A report built without keep_addresses: one sample per site, locations without addresses.
    for (const SiteSummary& site : report.sites) {
      if (!stacks.contains(site.stack)) continue;
      int64_t values[] = {sign * static_cast<int64_t>(site.live_count),
                          sign * static_cast<int64_t>(site.live_bytes),
                          sign * static_cast<int64_t>(site.alloc_count),
                          sign * static_cast<int64_t>(site.alloc_bytes)};
      builder->AddSample(process, symbolizer.stacks().Get(site.stack), {}, values, sign < 0);
    }
    return;
  }
  for (const RecordedStack& recorded : report.recorded) {
    if (!stacks.contains(recorded.stack)) continue;
    const SiteSummary& c = recorded.counters;
    int64_t values[] = {
        sign * static_cast<int64_t>(c.live_count), sign * static_cast<int64_t>(c.live_bytes),
        sign * static_cast<int64_t>(c.alloc_count), sign * static_cast<int64_t>(c.alloc_bytes)};
    builder->AddSample(process, symbolizer.stacks().Get(recorded.stack), recorded.origins, values,
                       sign < 0);
  }
}

int64_t Period(const Report& report) {
  return static_cast<int64_t>(std::max<uint64_t>(report.settings.sample_bytes, 1));
}

}  // namespace

void FormatReportPprof(const Report& report, const Symbolizer& symbolizer, size_t top,
                       std::string* out) {
  absl::flat_hash_set<uint32_t> shown;
  for (size_t i = 0, n = TopCount(top, report.sites.size()); i < n; ++i) {
    shown.insert(report.sites[i].stack);
  }
  PprofBuilder builder(symbolizer);
  AddSampleTypes(&builder);
  AddSamples(report, symbolizer, shown, 1, &builder);
  *out = builder.Finish({
      .time_nanos = report.process.fixed.time_unix_ns,
      .period = Period(report),
      .comment = absl::StrCat("leakscope report of ", report.file),
      .default_sample_type = "inuse_space",
  });
}

void FormatDiffPprof(const DiffResult& diff, const Symbolizer& symbolizer, size_t top,
                     std::string* out) {
  std::vector<uint32_t> list = DiffProfileStacks(diff, top);
  absl::flat_hash_set<uint32_t> stacks(list.begin(), list.end());
  PprofBuilder builder(symbolizer);
  AddSampleTypes(&builder);
  // NEW first: pprof names the profile after the first mapping, NEW's executable.
  AddSamples(diff.new_report, symbolizer, stacks, 1, &builder);
  AddSamples(diff.old_report, symbolizer, stacks, -1, &builder);
  *out = builder.Finish({
      .time_nanos = diff.new_report.process.fixed.time_unix_ns,
      .period = Period(diff.new_report),
      .comment = absl::StrCat("leakscope diff of ", diff.old_report.file, " (pprof::base) and ",
                              diff.new_report.file),
      .default_sample_type = "inuse_space",
  });
}

}  // namespace leakscope::analyzer
