// SPDX-License-Identifier: Apache-2.0
// Temporary dump files (.leakscope.<pid>.<seq>.dump.tmp) left behind by recorders that were
// killed mid-dump (SIGKILL, OOM killer, a machine crash): removed when a recorder starts, so a
// long-lived dump directory does not fill up with half-written dumps no reader will ever use.
//
// Only our own files (same effective uid, regular files, not links) are candidates, and only those
// no live recorder can still be writing:
// - our own pid's, once a minute old: an earlier image of this process (exec keeps the pid) can
//   no longer write (the minute spares a same-numbered recorder in another pid namespace);
// - a pid that does not exist (kill(pid, 0) says ESRCH), once the file is 10 minutes old: a
//   recorder in another pid namespace writing into a shared directory has a pid we cannot see,
//   but no dump takes that long to write;
// - any pid once the file is a day old: the pid has been reused (by a program that is not a
//   recorder, or by a recorder whose own temporaries are seconds old), and no dump is that slow.
#pragma once

#include <cstdint>

#include "thread_state.h"

namespace leakscope::recorder {

// Removes the stale temporaries in `dir` (an absolute path to a directory of ours alone, see
// dump_dir.h); returns how many were removed. Uses opendir, lstat, unlink and kill only; run
// it with a private descriptor table (private_fd_table.h), as the directory's descriptor is open
// throughout.
uint64_t RemoveStaleTemps(const ReentrancyGuard& guard, const char* dir);

}  // namespace leakscope::recorder
