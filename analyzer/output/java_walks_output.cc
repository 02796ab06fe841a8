// SPDX-License-Identifier: Apache-2.0
#include "output/java_walks_output.h"

#include "absl/strings/str_cat.h"
#include "output/absl_compat.h"
#include "output/units.h"
#include "symbolize/java_frames.h"

namespace leakscope::analyzer {

void AppendJavaWalksText(const format::JavaFixed& j, std::string_view indent, std::string* out) {
  if ((j.flags & format::kJavaAgentLoaded) == 0) return;
  if ((j.flags & format::kJavaFramesOn) == 0) {
    absl::StrAppend(out, AV(indent),
                    "Java: JVMTI agent loaded, but AsyncGetCallTrace was not found: no Java "
                    "frames.\n");
    return;
  }
  uint64_t total = j.unencodable;
  for (uint64_t walks : j.walks) total += walks;
  absl::StrAppend(out, AV(indent), "Java: JVMTI agent loaded; Java frames on ",
                  Thousands(j.walks[0]), " of ", Counted(total, "stack walk"));
  std::string failed;
  for (size_t i = 1; i < kJavaWalkKinds; ++i) {
    if (j.walks[i] == 0) continue;
    absl::StrAppend(&failed, failed.empty() ? "" : ", ", Thousands(j.walks[i]), " ",
                    JavaWalkName(i));
  }
  if (j.unencodable > 0) {
    absl::StrAppend(&failed, failed.empty() ? "" : ", ", Thousands(j.unencodable), " unencodable");
  }
  if (!failed.empty()) absl::StrAppend(out, "; no frames: ", failed);
  absl::StrAppend(out, "\n");
}

void WriteJavaWalksJson(const format::JavaFixed& java, JsonWriter* json) {
  // Only when the JVMTI agent was loaded, so output for other programs keeps its shape.
  if ((java.flags & format::kJavaAgentLoaded) == 0) return;
  json->Key("java");
  json->BeginObject();
  json->FieldBool("agent_loaded", true);
  json->FieldBool("frames_on", (java.flags & format::kJavaFramesOn) != 0);
  json->Key("walks");
  json->BeginObject(/*inline_=*/true);
  for (size_t i = 0; i < kJavaWalkKinds; ++i) json->FieldUInt(JavaWalkName(i), java.walks[i]);
  json->EndObject();
  json->FieldUInt("unencodable", java.unencodable);
  json->EndObject();
}

}  // namespace leakscope::analyzer
