// SPDX-License-Identifier: Apache-2.0
// Collapsed stacks ("folded" format) for flamegraph.pl and speedscope: one line per stack,
// frames outermost first separated by ';', then a space and the live bytes.
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "output/format_report.h"
#include "output/top_count.h"

namespace leakscope::analyzer {
namespace {

std::string CollapsedName(const Frame& frame) {
  std::string name = frame.DisplayName();
  for (char& c : name) {
    if (c == ';' || c == '\n' || c == '\r') c = '_';  // ';' separates frames, '\n' lines
  }
  if (frame.kind == FrameKind::kJava) name.append("_[j]");  // flamegraph.pl colours Java frames
  return name;
}

}  // namespace

void FormatReportCollapsed(const Report& report, const Symbolizer& symbolizer, size_t top,
                           std::string* out) {
  size_t shown = TopCount(top, report.sites.size());
  // Sites whose printed stacks coincide are merged; the first one's position is kept.
  std::vector<std::pair<std::string, uint64_t>> lines;
  absl::flat_hash_map<std::string, size_t> index;
  for (size_t i = 0; i < shown; ++i) {
    const SiteSummary& site = report.sites[i];
    if (site.live_bytes == 0) continue;
    std::span<const uint32_t> stack = symbolizer.stacks().Get(site.stack);
    std::string line;
    for (size_t j = stack.size(); j-- > 0;) {
      absl::StrAppend(&line, CollapsedName(symbolizer.frames().Get(stack[j])), j > 0 ? ";" : "");
    }
    auto [it, inserted] = index.try_emplace(line, lines.size());
    if (inserted) lines.emplace_back(std::move(line), 0);
    lines[it->second].second += site.live_bytes;
  }
  for (const auto& [line, bytes] : lines) absl::StrAppend(out, line, " ", bytes, "\n");
}

}  // namespace leakscope::analyzer
