// SPDX-License-Identifier: Apache-2.0
// What the dump says about the process: identity (pid, host, executable, command line) and its
// memory picture (RSS from /proc/self/status, glibc malloc's own accounting). Dumper thread only.
#pragma once

#include "dump.h"
#include "thread_state.h"

namespace leakscope::recorder {

// Fills host, executable and args; the caller sets the fixed fields.
void ReadProcessIdentity(const ReentrancyGuard& guard, ProcessInfo* out);

// RSS, peak RSS, VM size and malloc's arenas; self_* fields are left for the caller.
format::MemoryFixed ReadProcessMemory(const ReentrancyGuard& guard);

}  // namespace leakscope::recorder
