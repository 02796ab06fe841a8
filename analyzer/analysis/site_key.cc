// SPDX-License-Identifier: Apache-2.0
#include "analysis/site_key.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace leakscope::analyzer {
namespace {

// FNV-1a: specified in a few lines, so any tool can recompute a key from the frames; the
// analyzer's other hashes (absl's) are seeded per process and may change between versions.
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;

uint64_t Fnv1a(std::string_view text, uint64_t hash) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= kFnvPrime;
  }
  return hash;
}

}  // namespace

void AppendFrameKeyText(const Frame& frame, std::string* out) {
  // Appended piece by piece: this absl's StrAppend does not take std::string_view.
  auto field = [out](std::string_view text) {
    out->append(text);
    out->push_back('\t');
  };
  field(FrameKindName(frame.kind));
  field(Basename(frame.module));
  field(frame.function);
  field(absl::StrFormat("%x", frame.address));
  field(Basename(frame.file));
  field(absl::StrCat(frame.line));
  out->append(frame.inlined ? "1\n" : "0\n");
}

uint64_t SiteKey(const FrameTable& frames, std::span<const uint32_t> stack) {
  uint64_t hash = kFnvOffset;
  std::string line;
  for (uint32_t id : stack) {
    line.clear();
    AppendFrameKeyText(frames.Get(id), &line);
    hash = Fnv1a(line, hash);
  }
  return hash;
}

std::string SiteKeyHex(uint64_t key) { return absl::StrFormat("%016x", key); }

}  // namespace leakscope::analyzer
