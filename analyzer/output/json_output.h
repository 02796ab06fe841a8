// The start every `--format json` output shares (docs/json.md), for every command: report, diff,
// trend, html's embedded data and spark-conf, which needs nothing else of the report formats.
#pragma once

#include <string_view>

#include "output/json_writer.h"

namespace leakscope::analyzer {

// Opens the top-level object with the fields it always starts with: "leakscope_json" (the
// schema version) and "command".
void BeginJsonOutput(std::string_view command, JsonWriter* json);

}  // namespace leakscope::analyzer
