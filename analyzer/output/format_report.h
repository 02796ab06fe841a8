// SPDX-License-Identifier: Apache-2.0
// The output formats of `leakscope report`: they print a Report (report.h) and compute nothing.
#pragma once

#include <cstddef>
#include <string>

#include "analysis/report.h"
#include "output/output_format.h"
#include "symbolize/symbolizer.h"

namespace leakscope::analyzer {

// `top` limits the number of sites (0 = all).
void FormatReportText(const Report& report, const Symbolizer& symbolizer, size_t top,
                      std::string* out);
void FormatReportJson(const Report& report, const Symbolizer& symbolizer, size_t top,
                      std::string* out);
// One line per site whose `weight` counter is not 0: "outermost;...;innermost <count>".
void FormatReportCollapsed(const Report& report, const Symbolizer& symbolizer, size_t top,
                           FoldedWeight weight, std::string* out);
// Gzipped profile.proto (pprof) with inuse_objects/inuse_space/alloc_objects/alloc_space: one
// sample per recorded stack of the top sites. Addresses and mappings need a report built with
// keep_addresses; without, one sample per site has locations without addresses.
void FormatReportPprof(const Report& report, const Symbolizer& symbolizer, size_t top,
                       std::string* out);

}  // namespace leakscope::analyzer
