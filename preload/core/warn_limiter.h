// SPDX-License-Identifier: Apache-2.0
// Warnings about conditions that persist from one dump to the next (an unusable dump directory, a
// trigger file we cannot remove, a full disk): said once per problem per hour, not at every
// interval, so a JVM's stderr is not flooded by a week-long problem.
#pragma once

#include <cstdint>

#include "clock.h"

namespace leakscope::recorder {

enum class Problem {
  kDirectoryUnusable,   // the dump directory cannot be used or recreated now
  kDirectoryRecreated,  // it had disappeared (a /tmp cleaner) and was made again
  kDumpNotWritten,      // creating, writing or publishing one dump failed
  kTriggerIgnored,      // a trigger path we cannot consume
  kStatusNotWritten,    // the status file (status_file.h) cannot be written now
  kCount
};

// Whether a warning about `problem` may be said now; if so, the next one is allowed an hour later.
// Not thread-safe: callers hold the dumper's mutex.
inline bool WarnAllowed(Problem problem) {
  static constexpr int64_t kQuietNs = 3600ll * 1'000'000'000;
  static int64_t next_allowed[static_cast<int>(Problem::kCount)] = {};
  static bool said[static_cast<int>(Problem::kCount)] = {};
  int64_t now = MonotonicNs();
  int i = static_cast<int>(problem);
  if (said[i] && now < next_allowed[i]) return false;
  said[i] = true;
  next_allowed[i] = now + kQuietNs;
  return true;
}

}  // namespace leakscope::recorder
