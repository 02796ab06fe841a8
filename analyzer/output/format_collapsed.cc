// SPDX-License-Identifier: Apache-2.0
// Collapsed stacks ("folded" format) for flamegraph.pl and speedscope: one line per stack,
// frames outermost first separated by ';', then a space and the count (--weight: live bytes by
// default). Java frames end in "_[j]" and inlined native frames in "_[i]", flamegraph.pl's
// markers for colouring them. diff writes difffolded.pl's form, two counts: old and new.
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "output/format_diff.h"
#include "output/format_report.h"
#include "output/top_count.h"

namespace leakscope::analyzer {
namespace {

std::string CollapsedName(const Frame& frame) {
  std::string name = frame.DisplayName();
  for (char& c : name) {
    if (c == ';' || c == '\n' || c == '\r') c = '_';  // ';' separates frames, '\n' lines
  }
  if (frame.kind == FrameKind::kJava) {
    name.append("_[j]");
  } else if (frame.inlined) {
    name.append("_[i]");
  }
  return name;
}

std::string CollapsedStack(const Symbolizer& symbolizer, uint32_t stack_id) {
  std::span<const uint32_t> stack = symbolizer.stacks().Get(stack_id);
  std::string line;
  for (size_t j = stack.size(); j-- > 0;) {
    absl::StrAppend(&line, CollapsedName(symbolizer.frames().Get(stack[j])), j > 0 ? ";" : "");
  }
  return line;
}

// Stacks whose printed form coincides are merged; the first one's position is kept.
class FoldedLines {
 public:
  void Add(std::string stack, uint64_t old_count, uint64_t new_count) {
    auto [it, inserted] = index_.try_emplace(stack, lines_.size());
    if (inserted) lines_.push_back({std::move(stack), 0, 0});
    lines_[it->second].old_count += old_count;
    lines_[it->second].new_count += new_count;
  }
  void Write(bool two_counts, std::string* out) const {
    for (const Line& line : lines_) {
      if (two_counts) {
        absl::StrAppend(out, line.stack, " ", line.old_count, " ", line.new_count, "\n");
      } else {
        absl::StrAppend(out, line.stack, " ", line.new_count, "\n");
      }
    }
  }

 private:
  struct Line {
    std::string stack;
    uint64_t old_count, new_count;
  };
  std::vector<Line> lines_;
  absl::flat_hash_map<std::string, size_t> index_;
};

uint64_t FoldedCount(const SiteSummary& site, FoldedWeight weight) {
  switch (weight) {
    case FoldedWeight::kLiveBytes:
      return site.live_bytes;
    case FoldedWeight::kLiveCount:
      return site.live_count;
    case FoldedWeight::kAllocBytes:
      return site.alloc_bytes;
    case FoldedWeight::kAllocCount:
      return site.alloc_count;
  }
  return 0;
}

}  // namespace

void FormatReportCollapsed(const Report& report, const Symbolizer& symbolizer, size_t top,
                           FoldedWeight weight, std::string* out) {
  FoldedLines lines;
  for (size_t i = 0, shown = TopCount(top, report.sites.size()); i < shown; ++i) {
    const SiteSummary& site = report.sites[i];
    uint64_t count = FoldedCount(site, weight);
    if (count == 0) continue;
    lines.Add(CollapsedStack(symbolizer, site.stack), 0, count);
  }
  lines.Write(false, out);
}

void FormatDiffCollapsed(const DiffResult& diff, const Symbolizer& symbolizer, size_t top,
                         FoldedWeight weight, std::string* out) {
  absl::flat_hash_map<uint32_t, std::pair<uint64_t, uint64_t>> counts;  // stack -> old, new
  for (const SiteSummary& site : diff.old_report.sites) {
    counts[site.stack].first = FoldedCount(site, weight);
  }
  for (const SiteSummary& site : diff.new_report.sites) {
    counts[site.stack].second = FoldedCount(site, weight);
  }
  FoldedLines lines;
  for (uint32_t stack : DiffProfileStacks(diff, top)) {
    auto [old_count, new_count] = counts[stack];
    if (old_count == 0 && new_count == 0) continue;
    lines.Add(CollapsedStack(symbolizer, stack), old_count, new_count);
  }
  lines.Write(true, out);
}

}  // namespace leakscope::analyzer
