// SPDX-License-Identifier: Apache-2.0
// A minimal reader of the recorder's status file, <runtime dir>/leakscope.<pid>.status, which a
// recording process (preloaded or attached) keeps up to date: text, one key=value a line
// (leakscope_status=1, pid, dir, trigger, via, version; unknown keys are ignored). The runtime
// dir is the recorder's default dump directory: <$TMPDIR of the process, if absolute, else
// /tmp>/leakscope-<uid>, or leakscope-<uid>-XXXXXX beside it when that one is not the user's
// alone. `attach` needs only `dir` and `via`, to say where a second call finds the dumps.
// NOTE: to be replaced by the shared reader of the `dump` command once it lands.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "attach/target_process.h"

namespace leakscope::analyzer::attach {

struct RecorderStatus {
  std::string dir;  // absolute dump directory, as the process sees it
  std::string via;  // "preload" or "attach"
};

// Parses a status file's text: nullopt unless it has leakscope_status=1 and pid=<pid>.
std::optional<RecorderStatus> ParseRecorderStatus(std::string_view text, pid_t pid);

// Reads the status file at `path` (as reachable from here): opened O_NOFOLLOW, a regular file
// owned by `uid` or root, under 64 KiB, for `pid`. nullopt when any of that fails.
std::optional<RecorderStatus> ReadRecorderStatusFile(const std::string& path, uid_t uid, pid_t pid);

// The status file of a target: looked up in its runtime directory and the fallback ones beside
// it, through its root, with its own pid and uid.
std::optional<RecorderStatus> FindRecorderStatus(const TargetProcess& target);

}  // namespace leakscope::analyzer::attach
