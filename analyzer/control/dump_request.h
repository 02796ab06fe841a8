// SPDX-License-Identifier: Apache-2.0
// Asking a recording process for a dump now, and waiting for it: what `leakscope dump PID` does
// once it has found the process' status file.
//
// The request is the trigger file the recorder polls for once a second (dump-format.md, Files),
// holding the label. It is written to a temporary name in the dump directory and renamed, so the
// recorder never reads half a label; when we run as root and the process does not, the file is
// given to the process' user first, so its recorder can read it. The dump asked for is the first
// complete dump of the process that is newer than the request: a higher seq than any there was,
// taken (time_unix_ns) after the request, and carrying the label when one was given.
#pragma once

#include <cstdint>
#include <string>

#include "control/target_process.h"
#include "status_format.h"

namespace leakscope::analyzer {

struct DumpRequest {
  std::string label;        // "" for an unlabelled dump
  int64_t wait_ms = 30000;  // how long to wait for the dump
};

enum class DumpOutcome { kWritten, kPermission, kFailed, kTimeout, kExited };

struct DumpRequestResult {
  DumpOutcome outcome = DumpOutcome::kFailed;
  std::string dump_path;  // kWritten: the dump, as we reach it
  std::string dir;        // the dump directory, as we reach it
  std::string error;      // kPermission, kFailed: one line
};

DumpRequestResult RequestDump(const TargetProcess& target, const status_file::Status& status,
                              const DumpRequest& request);

}  // namespace leakscope::analyzer
