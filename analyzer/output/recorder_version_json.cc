// SPDX-License-Identifier: Apache-2.0
#include "output/recorder_version_json.h"

namespace leakscope::analyzer {

void WriteRecorderVersionJson(std::string_view version, JsonWriter* json) {
  json->Key("recorder_version");
  if (version.empty()) {
    json->Null();  // a dump from before recorders wrote their version
  } else {
    json->String(version);
  }
}

}  // namespace leakscope::analyzer
