// SPDX-License-Identifier: Apache-2.0
// The output formats of the analysing commands (report writes all four; diff and trend text and
// json), as --format names them.
#pragma once

#include <string_view>

namespace leakscope::analyzer {

enum class OutputFormat { kText, kJson, kCollapsed, kPprof };

// "text", "json", "collapsed" or "pprof" into *format; false for anything else.
bool ParseOutputFormat(std::string_view text, OutputFormat* format);

}  // namespace leakscope::analyzer
