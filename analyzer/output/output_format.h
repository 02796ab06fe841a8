// SPDX-License-Identifier: Apache-2.0
// The output formats of the analysing commands (report and diff write all four; trend text and
// json), as --format names them, and the counter that folded stacks weigh by (--weight).
#pragma once

#include <cstdint>
#include <string_view>

namespace leakscope::analyzer {

enum class OutputFormat { kText, kJson, kCollapsed, kPprof };

// "text", "json", "collapsed" or "pprof" into *format; false for anything else.
bool ParseOutputFormat(std::string_view text, OutputFormat* format);

// Which counter of a site a folded stack's count is. Live bytes unless --weight says otherwise.
enum class FoldedWeight { kLiveBytes, kLiveCount, kAllocBytes, kAllocCount };

// "live_bytes", "live_count", "alloc_bytes" or "alloc_count" into *weight; false otherwise.
bool ParseFoldedWeight(std::string_view text, FoldedWeight* weight);

}  // namespace leakscope::analyzer
