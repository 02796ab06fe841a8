// SPDX-License-Identifier: Apache-2.0
// Every ELF module the process has had loaded, so stacks can be symbolized even after a dlclose.
// Refreshed by the dumper before each dump and by our dlclose hook just before a library goes
// and just after.
//
// Mapping epochs (dump_format.h): a refresh that finds a known module gone advances
// g_recorder.mapping_epoch and records it as that module's unloaded_epoch; a module first seen
// gets the epoch then current as its loaded_epoch. Every module loaded before a dlclose is seen by
// the walk that dlclose makes first, so its loaded_epoch is never later than its stacks'. Not
// exact in two cases, both where the same addresses are reused at once: a library another thread
// maps into the freed range between the real dlclose and our walk after it, and an unload that did
// not go through our dlclose (glibc's internal one, for NSS and iconv modules) until the dumper's
// next walk. Stacks taken in such a window carry the older epoch and name the unloaded module,
// as every stack did before epochs.
// Guarded by a mutex that no allocation hook ever takes; dl_iterate_phdr (which takes the loader
// lock) always runs before that mutex is taken, never under it, so the two cannot deadlock.
// Every walk and every use of the mutex runs inside a ForkSection (fork_gate.h): a fork child
// inherits the mutex and the registry whole, and its loader's lock not held by us (but see
// DistrustLoaderAfterFork), so it needs no reset of its own.
#pragma once

#include <string>
#include <vector>

#include "dump.h"
#include "thread_state.h"

namespace leakscope::recorder {

// Adds newly loaded modules and flags the ones no longer loaded, advancing the mapping epoch
// when there are any.
void RefreshModules(const ReentrancyGuard& guard);

// A copy of the registry: every module ever seen, unloaded ones flagged kModuleUnloaded.
std::vector<ModuleInfo> SnapshotModules(const ReentrancyGuard& guard);

// How long a fork child's refresh waits for ProveLoader before it makes do without one.
inline constexpr int kLoaderWaitMs = 1000;

// Fork child, from the child handler. The fork gate keeps our own threads' walks out of fork, but
// a program thread may have held the loader's lock at that moment too: in dlopen or dlclose, in
// a C++ throw (before glibc 2.35 the unwinder finds its tables with dl_iterate_phdr), or in a
// refresh of our own module table (module_table.h). glibc does not reset that lock in a child, so a
// walk there could wait for good. Until a ProveLoader walk has returned, RefreshModules waits for
// one at most kLoaderWaitMs and then keeps the modules known at fork, saying so once.
void DistrustLoaderAfterFork();

// The fork child's dumper thread, first thing and outside the dump mutex: the start of a walk (the
// loader's lock taken and released), on the one thread that may be left blocked for good without
// harm to the exit dump; its return proves the lock free. Returns at once in a process that is
// not a fresh fork child.
void ProveLoader(const ReentrancyGuard& guard);

}  // namespace leakscope::recorder
