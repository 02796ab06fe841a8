// SPDX-License-Identifier: Apache-2.0
// The background thread that writes dumps: every LEAKSCOPE_INTERVAL, when
// <dir>/leakscope.<pid>.trigger appears (polled once a second, then removed), and at exit.
// Files are <dir>/leakscope.<pid>.<seq>.dump, written to a temporary name, mode 0600, and renamed
// into place, so a reader never sees half a dump. Dumps are never written from a signal handler,
// and the dumper never holds anything an allocation hook needs.
#pragma once

#include "thread_state.h"

namespace leakscope::recorder {

// Chooses the directory, says where dumps go (LEAKSCOPE_LOG=info) and starts the thread.
void StartDumper(const ReentrancyGuard& guard);

// At exit: writes the final dump (waiting for one in progress) and stops the periodic ones.
void WriteFinalDump(const ReentrancyGuard& guard);

// Fork child: the parent's dumper thread does not exist here; start this process' own.
void RestartDumperAfterFork(const ReentrancyGuard& guard);

// Fork child whose fork did not wait for the recorder's critical sections (ResetForkGateInChild
// returned false): the module registry may be half-updated and the loader's lock held for good,
// so this process writes no dump at all, not even at exit.
void StopDumperAfterUnsafeFork();

}  // namespace leakscope::recorder
