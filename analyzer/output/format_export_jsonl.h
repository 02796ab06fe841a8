// SPDX-License-Identifier: Apache-2.0
// `leakscope export --format jsonl`: one JSON object per line for each site of each dump
// (docs/json.md, "export"), for Spark's spark.read.json and other engines that read JSON Lines.
#pragma once

#include <string>

#include "analysis/export_rows.h"
#include "symbolize/symbolizer.h"

namespace leakscope::analyzer {

// Appends the lines of `dump` to *out, each ending in '\n'. Frames are written on a site's first
// line in its process only: every later line of the process has the same frames for the same
// key, and repeating them would make the export some fifty times larger.
void AppendExportJsonl(const ExportDump& dump, const Symbolizer& symbolizer, std::string* out);

}  // namespace leakscope::analyzer
