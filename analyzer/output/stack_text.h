// SPDX-License-Identifier: Apache-2.0
// A symbolized stack as the text outputs (report, diff, trend) print it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "symbolize/frame.h"

namespace leakscope::analyzer {

// Appends one line per frame, innermost first, each starting with `indent`; the allocating
// caller (first non-allocator frame) is marked with '>'. Runs of one repeated frame (JIT code)
// print once as "#i-#j". With `frames_after_caller`, frames more than that many beyond the
// allocating caller are left out and counted in one last line.
void AppendStackText(const FrameTable& frames, std::span<const uint32_t> stack,
                     std::string_view indent, std::string* out,
                     size_t frames_after_caller = SIZE_MAX);

}  // namespace leakscope::analyzer
