// SPDX-License-Identifier: Apache-2.0
#include "analysis/diff.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace leakscope::analyzer {

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

std::vector<uint32_t> DiffProfileStacks(const DiffResult& diff, size_t top) {
  std::vector<uint32_t> stacks;
  size_t rows = top == 0 ? diff.rows.size() : std::min(top, diff.rows.size());
  for (size_t i = 0; i < rows; ++i) stacks.push_back(diff.rows[i].stack);
  if (top != 0) return stacks;
  absl::flat_hash_set<uint32_t> seen(stacks.begin(), stacks.end());
  for (const Report* report : {&diff.new_report, &diff.old_report}) {
    for (const SiteSummary& site : report->sites) {
      if (seen.insert(site.stack).second) stacks.push_back(site.stack);
    }
  }
  return stacks;
}

}  // namespace leakscope::analyzer
