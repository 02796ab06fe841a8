// SPDX-License-Identifier: Apache-2.0
// The output formats of `leakscope report`: they print a Report (report.h) and compute nothing.
#pragma once

#include <cstddef>
#include <string>

#include "analysis/report.h"
#include "symbolize/symbolizer.h"

namespace leakscope::analyzer {

// `top` limits the number of sites (0 = all).
void FormatReportText(const Report& report, const Symbolizer& symbolizer, size_t top,
                      std::string* out);
void FormatReportJson(const Report& report, const Symbolizer& symbolizer, size_t top,
                      std::string* out);
// One line per site with live bytes: "outermost;...;innermost <live bytes>".
void FormatReportCollapsed(const Report& report, const Symbolizer& symbolizer, size_t top,
                           std::string* out);
// Gzipped profile.proto (pprof) with inuse_objects/inuse_space/alloc_objects/alloc_space.
void FormatReportPprof(const Report& report, const Symbolizer& symbolizer, size_t top,
                       std::string* out);

}  // namespace leakscope::analyzer
