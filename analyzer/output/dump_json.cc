// SPDX-License-Identifier: Apache-2.0
#include "output/dump_json.h"

#include "absl/strings/str_format.h"

namespace leakscope::analyzer {

void WriteDumpIdentityJson(const Report& report, DumpIdentity fields, JsonWriter* json) {
  const format::ProcessFixed& p = report.process.fixed;
  json->Field("file", report.file);
  json->FieldInt("pid", p.pid);
  if (fields == DumpIdentity::kWithPpid) json->FieldInt("ppid", p.ppid);
  json->FieldUInt("seq", p.seq);
  json->Field("instance_id", absl::StrFormat("%016x", p.instance_id));
  json->FieldInt("time_unix_ns", p.time_unix_ns);
  json->FieldInt("time_monotonic_ns", p.time_monotonic_ns);
  json->Field("label", report.label);
}

}  // namespace leakscope::analyzer
