// SPDX-License-Identifier: Apache-2.0
// The output formats of `leakscope diff`: they print a DiffResult (diff.h) and compute nothing.
#pragma once

#include <cstddef>
#include <string>

#include "analysis/diff.h"
#include "output/output_format.h"
#include "symbolize/symbolizer.h"

namespace leakscope::analyzer {

// `top` limits each of the growing and shrinking sections (0 = all).
void FormatDiffText(const DiffResult& diff, const Symbolizer& symbolizer, size_t top,
                    std::string* out);
// `top` limits "sites" (0 = all).
void FormatDiffJson(const DiffResult& diff, const Symbolizer& symbolizer, size_t top,
                    std::string* out);

// difffolded.pl's form, one line per stack of DiffProfileStacks(diff, top) with a count on
// either side: "outermost;...;innermost <old count> <new count>", counts by `weight`.
void FormatDiffCollapsed(const DiffResult& diff, const Symbolizer& symbolizer, size_t top,
                         FoldedWeight weight, std::string* out);
// Gzipped pprof profile of the change, as pprof itself builds one for `-diff_base OLD NEW`: the
// NEW dump's samples and the OLD dump's negated and labelled pprof::base=true, for the stacks of
// DiffProfileStacks(diff, top). `go tool pprof` shows it as the change, percentages relative to
// OLD. Both reports must be built with keep_addresses.
void FormatDiffPprof(const DiffResult& diff, const Symbolizer& symbolizer, size_t top,
                     std::string* out);

}  // namespace leakscope::analyzer
