// SPDX-License-Identifier: Apache-2.0
// A symbolized stack as every JSON output (report, diff, trend, html) writes it (docs/json.md).
#pragma once

#include <cstdint>
#include <span>

#include "output/json_writer.h"
#include "symbolize/frame.h"
#include "symbolize/symbolizer.h"

namespace leakscope::analyzer {

// Writes "caller_index" (the allocating caller's index in "frames", -1 when none) and the
// "frames" array of the interned stack `stack_id`: one inline object per frame, innermost first.
// The two fields every site and stream object of every command ends with.
void WriteStackJson(const Symbolizer& symbolizer, uint32_t stack_id, JsonWriter* json);

}  // namespace leakscope::analyzer
