// What the rest of the recorder asks of the process lifecycle (lifecycle.cc: start-up, exit and
// fork). The start and the exit through exit() need no caller: a constructor and a destructor.
#pragma once

namespace leakscope::recorder {

// Before the process ends through _exit or _Exit (hooks_exit.cc), which skip exit()'s handlers
// and with them the destructor that writes the exit dump: writes that dump here instead,
// on the calling thread, when this is a process and a moment where that is safe (lifecycle.cc
// says which). `via` names the function for messages. Returns in any case; the caller exits.
void WriteDumpBeforeImmediateExit(const char* via);

}  // namespace leakscope::recorder
