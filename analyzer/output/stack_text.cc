// SPDX-License-Identifier: Apache-2.0
#include "output/stack_text.h"

#include "absl/strings/str_cat.h"
#include "output/absl_compat.h"

namespace leakscope::analyzer {

void AppendStackText(const FrameTable& frames, std::span<const uint32_t> stack,
                     std::string_view indent, std::string* out) {
  int caller = CallerIndex(frames, stack);
  for (size_t i = 0; i < stack.size(); ++i) {
    const Frame& frame = frames.Get(stack[i]);
    // Runs of identical frames (unnamed JIT code, interpreter) say nothing more when repeated.
    size_t run = 1;
    while (i + run < stack.size() && stack[i + run] == stack[i] &&
           static_cast<int>(i + run) != caller) {
      ++run;
    }
    absl::StrAppend(out, AV(indent), static_cast<int>(i) == caller ? "> " : "  ", "#", i);
    if (run > 1) absl::StrAppend(out, "-#", i + run - 1);
    if (frame.kind == FrameKind::kJava) {
      absl::StrAppend(out, " ", frame.JavaText());
    } else {
      absl::StrAppend(out, " ", frame.DisplayName());
      if (std::string location = frame.Location(); !location.empty()) {
        absl::StrAppend(out, " at ", location);
      }
      if (!frame.function.empty() && !frame.module.empty()) {
        absl::StrAppend(out, " [", AV(Basename(frame.module)), "]");
      }
    }
    if (frame.inlined) absl::StrAppend(out, " (inlined)");
    out->push_back('\n');
    i += run - 1;
  }
}

}  // namespace leakscope::analyzer
