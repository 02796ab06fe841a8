// SPDX-License-Identifier: Apache-2.0
#include "output/json_output.h"

#include "version.h"

namespace leakscope::analyzer {

void BeginJsonOutput(std::string_view command, JsonWriter* json) {
  json->BeginObject();
  json->FieldUInt("leakscope_json", 1);
  json->Field("leakscope_version", VersionText());
  json->Field("command", command);
}

}  // namespace leakscope::analyzer
