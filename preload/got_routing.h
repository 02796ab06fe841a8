// SPDX-License-Identifier: Apache-2.0
// The recorder loaded into a process that is already running, by dlopen, as a JVMTI agent
// (`leakscope attach`, or -agentpath without LD_PRELOAD). LD_PRELOAD's symbol interposition never
// happened: every module's calls to malloc & co. are bound to the real functions. Routing
// rewrites those bindings (got_patcher.h) so the calls come to our hooks, for the modules loaded
// now and, as they come, for those loaded later: at once for a dlopen by path (hooks_dl.cc), and
// within a second for the rest (the dumper's pass).
//
// Blocks allocated before routing began are unknown to the recorder: their frees and reallocs
// pass straight through, like those of any block that was not sampled.
#pragma once

namespace leakscope::recorder {

// True when this library is in the process's global scope (LD_PRELOAD, or linked in): symbol
// interposition routes the calls, and nothing here is needed.
bool LoadedAtStart();

// Starts routing: rewrites the slots of every module loaded now. Returns the slots rewritten.
// For the agent's start only (it allocates, takes locks, reads /proc).
unsigned RouteCallsToHooks();

// Whether RouteCallsToHooks has run.
bool Routing();

// After routing started: rewrites the slots of modules loaded since. Cheap when there are none.
void RouteNewModules();

}  // namespace leakscope::recorder
