// A symbolized stack as every JSON output (report, diff, trend, html) writes it (docs/json.md).
#pragma once

#include <cstdint>
#include <span>

#include "output/json_writer.h"
#include "symbolize/frame.h"

namespace leakscope::analyzer {

// Writes the "frames" array: one inline object per frame, innermost first.
void WriteFramesJson(const FrameTable& frames, std::span<const uint32_t> stack, JsonWriter* json);

}  // namespace leakscope::analyzer
