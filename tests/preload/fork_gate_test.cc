// SPDX-License-Identifier: Apache-2.0
#include "fork_gate.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

namespace leakscope::recorder {

// The recorder defines it (recorder.cc); this binary has no recorder, only the gate.
__thread ThreadState t_state __attribute__((tls_model("initial-exec")));

namespace {

// What the child handler learned from the gate; read in the child only.
bool g_child_quiescent = false;

void ChildAfterFork() { g_child_quiescent = ResetForkGateInChild(); }

// The handlers the preload registers, registered once for this process.
void InstallHandlers() {
  static bool installed = (pthread_atfork(PrepareFork, ParentAfterFork, ChildAfterFork), true);
  (void)installed;
}

void SleepMs(int ms) {
  timespec ts{0, ms * 1'000'000L};
  nanosleep(&ts, nullptr);
}

// The exit status of a forked child running body(): 0 when it returned true.
template <typename Body>
int InChild(Body body) {
  pid_t pid = fork();
  if (pid == 0) _exit(body() ? 0 : 1);
  int status = -1;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A section that fills an array slot by slot, slowly: a fork cutting it in two leaves the
// child a half-filled array.
constexpr int kSlots = 64;
std::atomic<int> g_slots[kSlots];
std::atomic<bool> g_entered{false};

void* FillSlowly(void*) {
  ReentrancyGuard guard;
  ForkSection section(guard);
  g_entered.store(true);
  for (int i = 0; i < kSlots; ++i) {
    g_slots[i].store(1);
    SleepMs(1);
  }
  return nullptr;
}

TEST(ForkGate, ForkWaitsForTheSectionInFlightAndTheChildSeesItsWorkWhole) {
  InstallHandlers();
  pthread_t thread;
  ASSERT_EQ(pthread_create(&thread, nullptr, FillSlowly, nullptr), 0);
  while (!g_entered.load()) SleepMs(1);
  int status = InChild([] {
    for (const std::atomic<int>& slot : g_slots) {
      if (slot.load() != 1) return false;
    }
    return g_child_quiescent;
  });
  EXPECT_EQ(status, 0) << "the child saw the section cut in two";
  ASSERT_EQ(pthread_join(thread, nullptr), 0);
  // The parent handler let sections in again.
  ReentrancyGuard guard;
  ForkSection after(guard);
}

std::atomic<bool> g_release{false};
std::atomic<bool> g_holding{false};

void* HoldUntilReleased(void*) {
  ReentrancyGuard guard;
  ForkSection section(guard);
  g_holding.store(true);
  while (!g_release.load()) SleepMs(1);
  return nullptr;
}

// A section that does not end (say, one waiting on a lock the forking thread holds): fork gives
// up after kForkWaitMs and tells the child, whose own forks then wait for nothing inherited.
TEST(ForkGate, ForkGivesUpOnASectionThatDoesNotEndAndTellsTheChild) {
  InstallHandlers();
  pthread_t thread;
  ASSERT_EQ(pthread_create(&thread, nullptr, HoldUntilReleased, nullptr), 0);
  while (!g_holding.load()) SleepMs(1);
  int status = InChild([] {
    if (g_child_quiescent) return false;
    // The child's gate is fresh: its own fork does not wait for the parent's reader.
    return InChild([] { return g_child_quiescent; }) == 0;
  });
  EXPECT_EQ(status, 0);
  g_release.store(true);
  ASSERT_EQ(pthread_join(thread, nullptr), 0);
}

}  // namespace
}  // namespace leakscope::recorder
