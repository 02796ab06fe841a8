#include "output/ages_output.h"

#include "absl/strings/str_cat.h"
#include "output/units.h"

namespace leakscope::analyzer {

void WriteAgesJson(const SiteAges& ages, bool older_than, JsonWriter* json) {
  if (!ages.known) {
    json->Key("median_age_s"), json->Null();
    json->Key("oldest_age_s"), json->Null();
    if (older_than) json->Key("older_than"), json->Null();
    return;
  }
  json->FieldUInt("median_age_s", ages.median_s);
  json->FieldUInt("oldest_age_s", ages.oldest_s);
  if (!older_than) return;
  json->Key("older_than");
  json->BeginArray();
  for (uint32_t t = 0; t < format::kAgeThresholdCount; ++t) {
    json->BeginObject();
    json->FieldUInt("age_s", format::kAgeThresholdsS[t]);
    json->FieldUInt("bytes", ages.older_than_bytes[t]);
    json->EndObject();
  }
  json->EndArray();
}

std::string AgesText(const SiteAges& ages) {
  if (!ages.known) return "";
  return absl::StrCat("median age ", HumanAge(ages.median_s), ", oldest ", HumanAge(ages.oldest_s));
}

}  // namespace leakscope::analyzer
