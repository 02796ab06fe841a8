// SPDX-License-Identifier: Apache-2.0
// Fork safety of the recorder's own critical sections.
//
// A fork child has one thread, and every lock another thread of the parent held at fork() stays
// held in the child for good. The recorder's threads (the dumper, the Java resolver) and its
// dlclose hook hold two kinds of such locks: our own mutexes (the module registry, the Java
// method cache), and the loader's lock inside dl_iterate_phdr, which glibc does not reset in a
// child. A child's exit dump takes both. Reinitialising them in the child is not enough: the data
// they guard may be half-updated. So each such critical section runs inside a ForkSection, and
// fork's prepare handler (PrepareFork) waits until none is running and keeps new ones out until
// fork returns: the child inherits every one of them released, and their data whole.
//
// The wait is short: sections never call into the program and never fork; they wait only on the
// loader's inner lock, malloc's arenas and our own mutexes, none of which a forking thread holds
// in ordinary code (glibc takes malloc's locks after the prepare handlers). It is nonetheless
// bounded (kForkWaitMs), since a fork from a signal handler that interrupted a section, from a
// dl_iterate_phdr callback, or behind an allocator whose own prepare handler locks its arenas
// before ours could otherwise never end. Such a child learns it (ResetForkGateInChild) and
// writes no dumps.
#pragma once

#include "thread_state.h"

namespace leakscope::recorder {

// How long fork() waits for the sections in flight before it gives up on them.
inline constexpr int kForkWaitMs = 1000;

// RAII: the enclosed code is never cut in two by a fork. Blocks only while a fork is between its
// prepare and parent/child handlers (or waiting in prepare), never on another section. Nests
// (an inner section of the same thread is free). Not for allocation hooks, which must never
// block.
class ForkSection {
 public:
  explicit ForkSection(const ReentrancyGuard& guard);
  ~ForkSection();
  ForkSection(const ForkSection&) = delete;
  ForkSection& operator=(const ForkSection&) = delete;

 private:
  unsigned generation_;
  bool locked_;
};

// pthread_atfork handlers. PrepareFork waits (at most kForkWaitMs) until no section runs, then
// holds new ones off; ParentAfterFork lets them run again.
void PrepareFork();
void ParentAfterFork();

// Fork child, first thing: a fresh gate. Returns whether the fork happened with no section in
// flight (false: PrepareFork gave up waiting, and what the sections guard may be half-done).
bool ResetForkGateInChild();

}  // namespace leakscope::recorder
