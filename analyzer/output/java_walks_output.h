// SPDX-License-Identifier: Apache-2.0
// The summary of the JVMTI agent's Java stack walks (a dump's kJava record), as text and JSON.
#pragma once

#include <string>
#include <string_view>

#include "dump.h"
#include "output/json_writer.h"

namespace leakscope::analyzer {

// As report, diff and trend print it: "Java: JVMTI agent loaded; Java frames on N of M stack
// walks; no frames: ..." after `indent`, with a newline. Nothing when the dump has no kJava
// record (no agent).
void AppendJavaWalksText(const format::JavaFixed& java, std::string_view indent, std::string* out);

// The same as JSON: a "java" member (agent_loaded, frames_on, walks by result, unencodable), as
// report and trend write it. Nothing without a kJava record.
void WriteJavaWalksJson(const format::JavaFixed& java, JsonWriter* json);

}  // namespace leakscope::analyzer
