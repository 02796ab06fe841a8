#include "json_output.h"

namespace leakscope {

void BeginJsonOutput(std::string_view command, JsonWriter* json) {
  json->BeginObject();
  json->FieldUInt("leakscope_json", 1);
  json->Field("command", command);
}

}  // namespace leakscope
