// A site's ages (analysis/site_ages.h) as every output shows them: in JSON "median_age_s",
// "oldest_age_s" and, for report, "older_than" (null when the dump has none; docs/json.md); in
// text, "median age 3m10s, oldest 2h".
#pragma once

#include <string>

#include "analysis/site_ages.h"
#include "output/json_writer.h"

namespace leakscope::analyzer {

// Writes median_age_s and oldest_age_s, and with `older_than` the array of
// {"age_s": threshold, "bytes": estimated live bytes at least that old}.
void WriteAgesJson(const SiteAges& ages, bool older_than, JsonWriter* json);

// "median age 3m10s, oldest 2h"; empty when the ages are not known.
std::string AgesText(const SiteAges& ages);

}  // namespace leakscope::analyzer
