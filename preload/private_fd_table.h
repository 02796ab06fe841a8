// SPDX-License-Identifier: Apache-2.0
// Running a piece of the recorder where the program cannot close or reuse its descriptors.
//
// Descriptors are numbers in a table every thread of the process shares, and the program owns
// that table: it may close any number at any time (close_range, daemons closing "all" fds) and
// get the same number back from its next open(). A thread that has unshared its table
// (unshare(CLONE_FILES)) has numbers nobody else can touch; it drops the copies of the
// program's descriptors that unsharing gives it at once, so it holds no program file open
// (a pipe's reader still sees EOF when the program closes its end). It keeps fd 2 alone, for
// the dump's own messages (raw_log.h sends them only to the stderr found at start).
//
// Such a thread exists only for one call: its table is private for good once unshared, and a
// long-lived one would hold whatever it opened apart from the process.
#pragma once

#include "thread_state.h"

namespace leakscope::recorder {

struct PrivateTableRun {
  // Whether fn ran with a private table. When false, fn still ran, with the shared one.
  bool private_table = false;
  // Why not: errno of unshare (EPERM under a seccomp filter such as Docker's default) or of
  // pthread_create; 0 when private_table.
  int error = 0;
};

// Runs fn(guard, arg) to completion on a new thread with its own descriptor table, and waits
// for it. Falls back to running fn on the calling thread (table shared) when no thread can be
// created, and to the new thread with the shared table when unsharing is refused. The new thread
// blocks every signal and holds a ReentrancyGuard for its whole life.
PrivateTableRun RunWithPrivateFdTable(void (*fn)(const ReentrancyGuard& guard, void* arg),
                                      void* arg, const ReentrancyGuard& caller_guard);

}  // namespace leakscope::recorder
