// SPDX-License-Identifier: Apache-2.0
// The output formats of `leakscope diff`: they print a DiffResult (diff.h) and compute nothing.
#pragma once

#include <cstddef>
#include <string>

#include "analysis/diff.h"
#include "symbolize/symbolizer.h"

namespace leakscope::analyzer {

// `top` limits each of the growing and shrinking sections (0 = all).
void FormatDiffText(const DiffResult& diff, const Symbolizer& symbolizer, size_t top,
                    std::string* out);
// `top` limits "sites" (0 = all).
void FormatDiffJson(const DiffResult& diff, const Symbolizer& symbolizer, size_t top,
                    std::string* out);

}  // namespace leakscope::analyzer
