// SPDX-License-Identifier: Apache-2.0
// The data of the HTML report: the trend ranking (AnalyzeTrend, as `leakscope trend` computes
// it) plus what only a page shows: one point per dump for each suspect, the memory picture and
// the zlib streams over time, and flame trees of the live bytes in the last dumps and of their
// growth since the first. Written as one JSON object ("command": "html", docs/html.md) that the
// page embeds and its script draws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "analysis/trend.h"
#include "symbolize/symbolizer.h"

namespace leakscope::analyzer {

struct HtmlOptions {
  TrendOptions trend;
  size_t top = 20;                 // suspects listed (0 = all)
  size_t max_streams = 20;         // zlib opening sites listed (largest open bytes at any dump)
  size_t max_flame_nodes = 50000;  // per flame tree; smaller nodes are folded into their parent
};

// Reads `files` (already expanded from directories; grouped and ordered by process and seq as
// trend does), and appends the page data to *json. Unreadable files are listed in the data's
// "errors" and in *errors (one line each). Returns the number of dumps read. `progress` as
// AnalyzeTrend's (may be empty).
size_t BuildHtmlData(const std::vector<std::string>& files, const HtmlOptions& options,
                     Symbolizer* symbolizer, std::string* json, std::vector<std::string>* errors,
                     const std::function<void(size_t, size_t)>& progress = {});

}  // namespace leakscope::analyzer
