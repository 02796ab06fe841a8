// SPDX-License-Identifier: Apache-2.0
#include "output/frames_json.h"

namespace leakscope::analyzer {

void WriteStackJson(const Symbolizer& symbolizer, uint32_t stack_id, JsonWriter* json) {
  const FrameTable& frames = symbolizer.frames();
  std::span<const uint32_t> stack = symbolizer.stacks().Get(stack_id);
  json->FieldInt("caller_index", CallerIndex(frames, stack));
  json->Key("frames");
  json->BeginArray();
  for (uint32_t id : stack) {
    const Frame& frame = frames.Get(id);
    json->BeginObject(/*inline_=*/true);
    json->Field("function", frame.DisplayName());
    json->Field("module", frame.module);
    json->Key("file");
    if (frame.file.empty()) {
      json->Null();
    } else {
      json->String(frame.file);
    }
    json->Key("line");
    if (frame.line == 0) {
      json->Null();
    } else {
      json->UInt(frame.line);
    }
    json->Field("kind", FrameKindName(frame.kind));
    json->FieldBool("inlined", frame.inlined);
    json->FieldBool("allocator", frame.allocator);
    json->FieldBool("symbolized", !frame.function.empty());
    json->EndObject();
  }
  json->EndArray();
}

}  // namespace leakscope::analyzer
