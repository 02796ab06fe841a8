// What the rest of the recorder asks of the process lifecycle (lifecycle.cc: start-up, exit and
// fork). The start and the exit through exit() need no caller: a constructor and a destructor.
#pragma once

#include "thread_state.h"

namespace leakscope::recorder {

// The JVMTI agent's start in a process the library was loaded into by dlopen (got_routing.h):
// what the constructor does under LD_PRELOAD, with the agent's option string over the
// environment's. True if recording (also when it already was); false when the recorder is off
// for this process (LEAKSCOPE_DISABLE, LEAKSCOPE_PROCESS), stopped, or cannot start.
bool StartRecordingAsAgent(const ReentrancyGuard& guard, const char* options);

// `leakscope attach --stop`: from now on every hook passes its call straight through (routing
// and interposition stay: a call may be in flight through any of them), Java frames are off, and
// the final dump is written. False if the recorder was not recording.
bool StopRecording(const ReentrancyGuard& guard);

// Before the process ends through _exit or _Exit (hooks_exit.cc), which skip exit()'s handlers
// and with them the destructor that writes the exit dump: writes that dump here instead,
// on the calling thread, when this is a process and a moment where that is safe (lifecycle.cc
// says which). `via` names the function for messages. Returns in any case; the caller exits.
void WriteDumpBeforeImmediateExit(const char* via);

}  // namespace leakscope::recorder
