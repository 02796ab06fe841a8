// Every ELF module the process has had loaded, so stacks can be symbolized even after a dlclose.
// Refreshed by the dumper before each dump and by our dlclose hook just before a library goes.
// Guarded by a mutex that no allocation hook ever takes; dl_iterate_phdr (which takes the loader
// lock) always runs before that mutex is taken, never under it, so the two cannot deadlock.
// Both calls run whole inside a ForkSection (fork_gate.h): a fork child inherits the mutex and the
// loader's lock released and the registry whole, so it needs no reset of its own.
#pragma once

#include <string>
#include <vector>

#include "dump.h"
#include "thread_state.h"

namespace leakscope {

// Adds newly loaded modules and flags the ones no longer loaded.
void RefreshModules(const ReentrancyGuard& guard);

// A copy of the registry: every module ever seen, unloaded ones flagged kModuleUnloaded.
std::vector<ModuleInfo> SnapshotModules(const ReentrancyGuard& guard);

}  // namespace leakscope
