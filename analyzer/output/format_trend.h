// SPDX-License-Identifier: Apache-2.0
// The output formats of `leakscope trend`: they print a TrendResult (trend.h) and compute
// nothing. The HTML report embeds the same JSON fields per process and per site.
#pragma once

#include <cstddef>
#include <string>

#include "analysis/trend.h"
#include "output/json_writer.h"
#include "symbolize/symbolizer.h"

namespace leakscope::analyzer {

// `top` limits the suspects (and with `all`, the other sites also listed) to that many; 0 = all.
void FormatTrendText(const TrendResult& result, const Symbolizer& symbolizer, size_t top, bool all,
                     std::string* out);
// `top` limits "suspects" and "sites" (0 = all).
void FormatTrendJson(const TrendResult& result, const Symbolizer& symbolizer, size_t top,
                     std::string* out);

// The fields of one process of a trend, as `trend --format json` writes them (docs/json.md);
// the HTML report embeds the same.
void WriteTrendProcessJson(const ProcessTrend& process, JsonWriter* json);

// The fields of one ranked site of a trend, as `trend --format json` writes them (docs/json.md);
// the HTML report embeds the same.
void WriteTrendSiteJson(const SuspectTrend& site, const Symbolizer& symbolizer, JsonWriter* json);

}  // namespace leakscope::analyzer
