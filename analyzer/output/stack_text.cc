// SPDX-License-Identifier: Apache-2.0
#include "output/stack_text.h"

#include "absl/strings/str_cat.h"
#include "output/absl_compat.h"

namespace leakscope::analyzer {

void AppendStackText(const FrameTable& frames, std::span<const uint32_t> stack,
                     std::string_view indent, std::string* out, size_t frames_after_caller) {
  int caller = CallerIndex(frames, stack);
  size_t last_shown = stack.size();
  // A line saying "1 more frame" would take the frame's own place: cut only two or more.
  if (caller >= 0 && frames_after_caller < stack.size() &&
      frames_after_caller + 2 < stack.size() - static_cast<size_t>(caller)) {
    last_shown = static_cast<size_t>(caller) + frames_after_caller;
  }
  for (size_t i = 0; i < stack.size(); ++i) {
    if (i > last_shown) {
      absl::StrAppend(out, AV(indent), "  ... ", stack.size() - i,
                      stack.size() - i == 1 ? " more frame" : " more frames", "\n");
      break;
    }
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
