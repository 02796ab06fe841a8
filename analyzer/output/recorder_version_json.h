// SPDX-License-Identifier: Apache-2.0
// The recorder's version as report and trend write it in JSON.
#pragma once

#include <string_view>

#include "output/json_writer.h"

namespace leakscope::analyzer {

// "recorder_version": the recorder's version ("0.1.0 (git abc1234)"); null for a dump from
// before recorders wrote it (no kRecorder record).
void WriteRecorderVersionJson(std::string_view version, JsonWriter* json);

}  // namespace leakscope::analyzer
