// SPDX-License-Identifier: Apache-2.0
// The change per call site between two dumps (normally of the same process), growth first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/report.h"
#include "symbolize/symbolizer.h"

namespace leakscope::analyzer {

// Bytes and counts are estimates of all allocations, as in SiteSummary; *_sampled_* are the
// sampled counts the estimates rest on.
struct DiffRow {
  uint32_t stack = 0;
  uint64_t old_live_bytes = 0, new_live_bytes = 0;
  uint64_t old_live_count = 0, new_live_count = 0;
  uint64_t old_sampled_live_count = 0, new_sampled_live_count = 0;
  int64_t alloc_bytes_change = 0;
  int64_t alloc_count_change = 0;
  int64_t sampled_alloc_count_change = 0;

  int64_t live_bytes_change() const {
    return static_cast<int64_t>(new_live_bytes) - static_cast<int64_t>(old_live_bytes);
  }
  int64_t live_count_change() const {
    return static_cast<int64_t>(new_live_count) - static_cast<int64_t>(old_live_count);
  }
};

struct DiffResult {
  Report old_report;
  Report new_report;
  bool same_process = false;  // same pid and recorder instance
  // Sites whose live bytes or count changed, by live bytes change descending (growth first,
  // the largest shrink last).
  std::vector<DiffRow> rows;
};

// Both reports must come from the same symbolizer, so their stack ids compare. The result is
// printed by format_diff.h.
DiffResult BuildDiff(Report old_report, Report new_report);

// The stacks a profile of the change (folded or pprof) holds. With `top` 0, every site of either
// dump: the changed ones (rows' order), then the unchanged ones, so that the profile's old and
// new sides are whole dumps, as difffolded.pl and pprof's -diff_base expect. Else the first
// `top` rows: the largest growth.
std::vector<uint32_t> DiffProfileStacks(const DiffResult& diff, size_t top);

}  // namespace leakscope::analyzer
