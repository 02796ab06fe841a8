// SPDX-License-Identifier: Apache-2.0
// The recorder's side of the status file (common/status_format.h): <runtime
// dir>/leakscope.<pid>.status tells a tool that knows only our pid (`leakscope dump PID`,
// `leakscope attach PID`) where we record and how to ask for a dump.
//
// The runtime directory is the default dump directory of our user ($TMPDIR or /tmp, then
// leakscope-<uid>, with the checks and fallbacks of dump_dir.h) whatever LEAKSCOPE_DIR says: the
// one place a client can compute from the pid, the target's uid and its TMPDIR. When dumps go to
// the default directory too, it is the same directory.
//
// All of it runs on the dumper thread, or on the exit path under the dumper's mutex: never in an
// allocation hook or a signal handler. A status file that cannot be written costs one warning
// (an hour apart, warn_limiter.h); recording goes on.
#pragma once

#include "dump_dir.h"
#include "thread_state.h"

namespace leakscope::recorder {

// Makes the status file say that we dump to `dump_dir` (our pid, the trigger path, how we were
// loaded, our version): writes it when this process has not written it yet, when dump_dir or the
// runtime directory moved since, or when the file has disappeared (a /tmp cleaner). Cheap when
// nothing changed (two lstat calls): the dumper calls it every time it wakes. Caller holds the
// dumper's mutex.
void RefreshStatusFile(const ReentrancyGuard& guard, const DumpDirectory& dump_dir);

// At a normal exit, after the exit dump: removes the status file this process wrote, if any.
// Caller holds the dumper's mutex.
void RemoveStatusFile();

// Fork child: the file the parent wrote is the parent's (and named by its pid); this process
// writes its own at its dumper's first refresh. Called before the child's dumper starts.
void ForgetStatusFileAfterFork();

// How the recorder came into the process, for the status file's via= line: "preload" (the
// default) or "attach" (an agent loaded into a running JVM). Must be a string literal; set it
// before the dumper starts.
void SetStatusVia(const char* via);

}  // namespace leakscope::recorder
