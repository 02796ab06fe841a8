// SPDX-License-Identifier: Apache-2.0
// Finding a recording process' status file (common/status_format.h) from its pid: where its
// recorder would have put it, reached from this client.
#pragma once

#include <string>
#include <vector>

#include "control/target_process.h"
#include "status_format.h"

namespace leakscope::analyzer {

enum class StatusLookup { kFound, kNotFound, kPermission, kBad };

struct StatusFound {
  status_file::Status status;  // paths as the process sees them (target.Reach them)
  std::string path;            // the file read, as we reach it
  // Where we looked, as we reach it: the primary directory's file first, then each
  // leakscope-<uid>-XXXXXX fallback found (kNotFound messages name them).
  std::vector<std::string> looked;
};

// Looks in the runtime directories the process' recorder would use, in its order: under its
// TMPDIR when known (else /tmp), then /tmp when that differs; in each, leakscope-<uid> then its
// leakscope-<uid>-XXXXXX fallbacks. A status file counts when it is a regular file (opened
// O_NOFOLLOW, never blocking), owned by the target's uid or root, under status_file::kMaxBytes,
// parses, and names the target's own pid. kPermission: one existed we may not read; kBad: one
// that does not count (the message in *error says why).
StatusLookup FindStatusFile(const TargetProcess& target, StatusFound* found, std::string* error);

}  // namespace leakscope::analyzer
