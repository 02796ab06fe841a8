// SPDX-License-Identifier: Apache-2.0
#include "fork_gate.h"

#include <pthread.h>
#include <time.h>

namespace leakscope::recorder {
namespace {

// Sections are readers, fork is the writer. Writer-preferring, so a steady stream of sections
// (the dlclose hook in a loop, say) cannot keep a fork waiting: once fork asks, new sections
// wait for it, and fork waits only for those already running.
constexpr pthread_rwlock_t kFreshGate = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
pthread_rwlock_t g_gate = kFreshGate;

// Bumped in every child: a section that began before the fork (only possible in the forking
// thread, say in a signal handler) must not unlock the child's fresh gate when it ends.
unsigned g_generation = 0;

// Sections this thread is inside: only the outermost takes the gate, since a writer-preferring
// lock would deadlock a reader taking it twice while fork waits.
__thread unsigned t_depth __attribute__((tls_model("initial-exec")));
// Set by PrepareFork in the forking thread (fork's parent and child handlers run in that same
// thread, and the child inherits its value): whether fork holds the gate.
__thread bool t_fork_holds_gate __attribute__((tls_model("initial-exec")));

unsigned Generation() { return __atomic_load_n(&g_generation, __ATOMIC_RELAXED); }

}  // namespace

ForkSection::ForkSection(const ReentrancyGuard&) : generation_(Generation()), locked_(false) {
  // rdlock fails only on errors that cannot happen here (EAGAIN: 2^30 readers); the section then
  // runs unguarded rather than lose a dump.
  if (t_depth++ == 0) locked_ = pthread_rwlock_rdlock(&g_gate) == 0;
}

ForkSection::~ForkSection() {
  --t_depth;
  if (locked_ && generation_ == Generation()) pthread_rwlock_unlock(&g_gate);
}

void PrepareFork() {
  t_fork_holds_gate = false;
  // Forking from inside a section of this very thread: waiting for it would wait for ourselves.
  if (t_depth != 0) return;
  // CLOCK_REALTIME, as pthread_rwlock_timedwrlock takes it: pthread_rwlock_clockwrlock (a
  // monotonic deadline) is glibc 2.30+, newer than the library's floor (glibc_floor.c). A clock
  // step during the wait only lengthens or shortens this bound.
  timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += kForkWaitMs / 1000;
  deadline.tv_nsec += static_cast<long>(kForkWaitMs % 1000) * 1'000'000;
  if (deadline.tv_nsec >= 1'000'000'000) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1'000'000'000;
  }
  t_fork_holds_gate = pthread_rwlock_timedwrlock(&g_gate, &deadline) == 0;
}

void ParentAfterFork() {
  if (!t_fork_holds_gate) return;
  t_fork_holds_gate = false;
  pthread_rwlock_unlock(&g_gate);
}

bool ResetForkGateInChild() {
  bool quiescent = t_fork_holds_gate;
  t_fork_holds_gate = false;
  // The parent's lock word names a writer thread that does not exist here (the child's one
  // thread has a new tid, so even unlocking it would be wrong): start from a fresh lock.
  g_gate = kFreshGate;
  __atomic_add_fetch(&g_generation, 1, __ATOMIC_RELAXED);
  return quiescent;
}

}  // namespace leakscope::recorder
