// SPDX-License-Identifier: Apache-2.0
#include "output/output_format.h"

namespace leakscope::analyzer {

bool ParseOutputFormat(std::string_view text, OutputFormat* format) {
  if (text == "text")
    *format = OutputFormat::kText;
  else if (text == "json")
    *format = OutputFormat::kJson;
  else if (text == "collapsed")
    *format = OutputFormat::kCollapsed;
  else if (text == "pprof")
    *format = OutputFormat::kPprof;
  else
    return false;
  return true;
}

bool ParseFoldedWeight(std::string_view text, FoldedWeight* weight) {
  if (text == "live_bytes")
    *weight = FoldedWeight::kLiveBytes;
  else if (text == "live_count")
    *weight = FoldedWeight::kLiveCount;
  else if (text == "alloc_bytes")
    *weight = FoldedWeight::kAllocBytes;
  else if (text == "alloc_count")
    *weight = FoldedWeight::kAllocCount;
  else
    return false;
  return true;
}

}  // namespace leakscope::analyzer
