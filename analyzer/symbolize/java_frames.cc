// SPDX-License-Identifier: Apache-2.0
#include "symbolize/java_frames.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace leakscope::analyzer {

std::string JavaClassName(std::string_view class_signature) {
  std::string_view body = class_signature;
  if (body.size() >= 2 && body.front() == 'L' && body.back() == ';') {
    body = body.substr(1, body.size() - 2);
  }
  // A hidden class (a lambda's) ends in "/0x<address>" (JDK 17) or "+0x<address>": the address
  // differs in every process and would keep the same code apart across processes. No Java
  // identifier starts with a digit, so such a suffix is never part of a real name.
  if (size_t cut = body.find_last_of("/+.");
      cut != std::string_view::npos && body.substr(cut + 1).starts_with("0x") &&
      body.size() > cut + 3 &&
      body.find_first_not_of("0123456789abcdefABCDEF", cut + 3) == std::string_view::npos) {
    body = body.substr(0, cut);
  }
  std::string name(body);
  std::replace(name.begin(), name.end(), '/', '.');
  return name;
}

uint32_t JavaLineAt(std::span<const std::pair<uint32_t, uint32_t>> lines, int32_t bci) {
  if (bci < 0) return 0;
  auto after = std::upper_bound(
      lines.begin(), lines.end(), static_cast<uint32_t>(bci),
      [](uint32_t b, const std::pair<uint32_t, uint32_t>& entry) { return b < entry.first; });
  return after == lines.begin() ? 0 : std::prev(after)->second;
}

Frame MakeJavaFrame(const JavaMethodRecord* method, uint64_t method_id, int32_t bci) {
  Frame frame;
  frame.kind = FrameKind::kJava;
  if (method == nullptr || (method->fixed.flags & format::kJavaMethodResolved) == 0) {
    frame.address = method_id;
    return frame;
  }
  frame.function = absl::StrCat(JavaClassName(method->class_signature), ".", method->name);
  frame.file = method->source_file;
  // A native method has no bytecode: AsyncGetCallTrace gives it no bci, and it has no lines.
  frame.native_method = bci < 0 && method->lines.empty();
  frame.line = JavaLineAt(method->lines, bci);
  return frame;
}

const char* JavaWalkName(size_t index) {
  static constexpr const char* kNames[kJavaWalkKinds] = {
      "frames",           "no_java_frame",         "no_class_load",  "gc_active",
      "unknown_not_java", "not_walkable_not_java", "unknown_java",   "not_walkable_java",
      "unknown_state",    "thread_exit",           "deoptimization", "safepoint_or_other"};
  return index < kJavaWalkKinds ? kNames[index] : "unknown";
}

}  // namespace leakscope::analyzer
