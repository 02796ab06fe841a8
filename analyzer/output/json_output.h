// SPDX-License-Identifier: Apache-2.0
// The start every `--format json` output shares (docs/json.md), for every command: report, diff,
// trend, html's embedded data and spark-conf, which needs nothing else of the report formats.
#pragma once

#include <cstddef>
#include <string_view>

#include "output/json_writer.h"
#include "output/top_count.h"

namespace leakscope::analyzer {

// Opens the top-level object with the fields it always starts with: "leakscope_json" (the
// schema version), "leakscope_version" (the analyzer's, as `leakscope --version` prints it
// without the program name) and "command".
void BeginJsonOutput(std::string_view command, JsonWriter* json);

// Writes `key` and an array of the first TopCount(top, count) ranked entries, each an object whose
// fields write_entry(i) writes: the shape of every command's "sites" and "suspects".
template <typename WriteEntry>
void WriteTopArray(std::string_view key, size_t count, size_t top, JsonWriter* json,
                   WriteEntry write_entry) {
  json->Key(key);
  json->BeginArray();
  for (size_t i = 0, shown = TopCount(top, count); i < shown; ++i) {
    json->BeginObject();
    write_entry(i);
    json->EndObject();
  }
  json->EndArray();
}

}  // namespace leakscope::analyzer
