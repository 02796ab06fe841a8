// SPDX-License-Identifier: Apache-2.0
// Which dump a result was computed from, as report ("dump") and diff ("old", "new") write it in
// JSON (docs/json.md).
#pragma once

#include "analysis/report.h"
#include "output/json_writer.h"

namespace leakscope::analyzer {

enum class DumpIdentity { kWithPpid, kWithoutPpid };

// Writes "file", "pid", ("ppid",) "seq", "instance_id" (16 hex digits), "time_unix_ns",
// "time_monotonic_ns" and "label" ("" when unlabelled) of the dump `report` was built from. diff
// leaves "ppid" out: its schema never had it, and its fields are stable.
void WriteDumpIdentityJson(const Report& report, DumpIdentity fields, JsonWriter* json);

}  // namespace leakscope::analyzer
