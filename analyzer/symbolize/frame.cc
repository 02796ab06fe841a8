// SPDX-License-Identifier: Apache-2.0
#include "symbolize/frame.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace leakscope::analyzer {

const char* FrameKindName(FrameKind kind) { return kind == FrameKind::kJava ? "java" : "native"; }

std::string_view Basename(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string Frame::DisplayName() const {
  if (!function.empty()) return function;
  if (kind == FrameKind::kJava) {
    // AsyncGetCallTrace reports some frames with a null method id (a method HotSpot could not
    // name at that moment): no id to show.
    if (address == 0) return "[unknown java method]";
    return absl::StrFormat("[java method 0x%x]", address);
  }
  if (module == "[jit]") return "[jit]";
  if (module.empty()) return "??";
  return absl::StrFormat("%s+0x%x", Basename(module), address);
}

std::string Frame::Location() const {
  if (file.empty()) return "";
  if (line == 0) return file;
  return absl::StrCat(file, ":", line);
}

std::string Frame::JavaText() const {
  if (function.empty()) return DisplayName();
  if (native_method) return absl::StrCat(function, "(Native Method)");
  if (file.empty()) return absl::StrCat(function, "(Unknown Source)");
  return absl::StrCat(function, "(", Location(), ")");
}

uint32_t FrameTable::Intern(const Frame& frame) {
  auto [it, inserted] = ids_.try_emplace(frame, static_cast<uint32_t>(frames_.size()));
  if (inserted) frames_.push_back(frame);
  return it->second;
}

uint32_t StackTable::Intern(std::span<const uint32_t> frames) {
  std::vector<uint32_t> key(frames.begin(), frames.end());
  auto [it, inserted] = ids_.try_emplace(std::move(key), static_cast<uint32_t>(size()));
  if (inserted) {
    pool_.insert(pool_.end(), frames.begin(), frames.end());
    offsets_.push_back(static_cast<uint32_t>(pool_.size()));
  }
  return it->second;
}

int CallerIndex(const FrameTable& frames, std::span<const uint32_t> stack) {
  for (size_t i = 0; i < stack.size(); ++i) {
    if (!frames.Get(stack[i]).allocator) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace leakscope::analyzer
