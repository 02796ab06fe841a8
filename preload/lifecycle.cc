// SPDX-License-Identifier: Apache-2.0
// Start-up, exit and fork: when the recorder starts its dumper, writes its last dump and resets
// itself in a fork child. The hooks work before any of this runs (see recorder.h).
#include "lifecycle.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "allocator_front.h"
#include "core/raw_log.h"
#include "dumper.h"
#include "fork_gate.h"
#include "got_routing.h"
#include "java/java_agent.h"
#include "java/java_stacks.h"
#include "module_registry.h"
#include "recorder.h"
#include "signal_context.h"
#include "status_file.h"
#include "unwind/module_table.h"

namespace leakscope::recorder {
namespace {

// LEAKSCOPE_FOLLOW_CHILDREN=0: programs this process execs do not inherit the preload. We keep
// it ourselves (it is already loaded); only the environment children see changes.
void RemoveSelfFromLdPreload() {
  const char* preload = getenv("LD_PRELOAD");
  if (preload == nullptr) return;
  std::string kept;
  const char* p = preload;
  while (*p) {
    size_t length = strcspn(p, ": ");
    std::string entry(p, length);
    if (!entry.empty() && entry.find("libleakscope") == std::string::npos) {
      if (!kept.empty()) kept += ':';
      kept += entry;
    }
    p += length;
    while (*p == ':' || *p == ' ') ++p;
  }
  if (kept.empty()) {
    unsetenv("LD_PRELOAD");
  } else {
    setenv("LD_PRELOAD", kept.c_str(), 1);
  }
}

// The process the recorder was started or reset in (0: not known, the constructor did not
// start it). A process that exits under another pid came from _Fork, vfork or clone, which skip
// fork's handlers: its locks and tables are the parent's, in any state, so it writes no dump.
pid_t g_own_pid = 0;

// The child runs this before any other child handler registered after our constructor.
void AfterForkInChild() {
  ReentrancyGuard guard;
  bool quiescent = ResetForkGateInChild();
  ResetModuleLookupsInChild();
  g_own_pid = getpid();
  if (!g_recorder.ready()) return;
  ResetRecorderAfterFork(guard);
  java::ForgetVmInForkChild();
  if (!quiescent) {
    StopDumperAfterUnsafeFork();
    RawLog(LogLevel::kWarn,
           "pid %d was forked in the middle of recorder work that fork could not wait out (up to "
           "%d ms); it writes no dumps",
           static_cast<int>(getpid()), kForkWaitMs);
    return;
  }
  DistrustLoaderAfterFork();
  RestartDumperAfterFork(guard);
}

// Initializes the recorder and starts everything around it: module lookups, fork handlers, the
// dumper. Once per process.
bool StartRecording(const ReentrancyGuard& guard, bool as_agent) {
  if (!EnsureInitialized()) return false;
  // Here, not in EnsureInitialized: that may run inside the first allocation hook, and filling
  // the table takes the loader's lock. Without _dl_find_object, walks before it find no module.
  InitModuleTable();
  g_own_pid = getpid();
  if (!g_recorder.options.follow_children) RemoveSelfFromLdPreload();
  pthread_atfork(PrepareFork, ParentAfterFork, AfterForkInChild);
  DetectAllocator(guard, as_agent);
  StartDumper(guard);
  return true;
}

__attribute__((constructor)) void StartRecorder() {
  ReentrancyGuard guard;
  // Loaded by dlopen, as a JVMTI agent (got_routing.h): no call reaches a hook until the agent
  // routes them, and the agent's options are not known yet. The agent starts recording.
  if (!LoadedAtStart()) return;
  StartRecording(guard, /*as_agent=*/false);
}

__attribute__((destructor)) void StopRecorder() {
  ReentrancyGuard guard;
  if (!g_recorder.ready()) return;
  if (g_own_pid != 0 && getpid() != g_own_pid) {
    RawLog(LogLevel::kWarn,
           "pid %d was made without fork's handlers (_Fork, vfork or clone); it writes no dump",
           static_cast<int>(getpid()));
    return;
  }
  WriteFinalDump(guard);
}

}  // namespace

bool StartRecordingAsAgent(const ReentrancyGuard& guard, const char* options) {
  if (g_recorder.ready()) return true;
  if (g_recorder.phase.load() != kUninitialized) return false;  // disabled, stopped, starting
  SetAgentOptions(options);
  SetStatusVia("attach");  // before the dumper writes the status file
  return StartRecording(guard, /*as_agent=*/true);
}

bool StopRecording(const ReentrancyGuard& guard) {
  int expected = kReady;
  if (!g_recorder.phase.compare_exchange_strong(expected, kStopped)) return false;
  java::EnableCapture(nullptr);
  WriteFinalDump(guard);
  RawLog(LogLevel::kInfo, "recording stopped; the last dump is written");
  return true;
}

// The decisions, in the order they are made:
// - Only in the process the recorder started or reset in (g_own_pid), checked first and without
//   writing a byte. A vfork child (and posix_spawn's CLONE_VM|CLONE_VFORK child, which calls
//   _exit when exec fails) runs on its parent's memory and in its parent's thread's TLS until it
//   execs or exits: a dump there would write the parent's tables and dump state, and even a
//   ReentrancyGuard would leave the parent's thread marked as inside the recorder for good (_exit
//   never returns to the guard's destructor). Children of _Fork and clone have the parent's
//   tables in any state, as at exit() (StopRecorder). The pid comes from the kernel, never from
//   a cache: glibc before 2.25 kept one, which a raw clone child inherits.
// - Only when the recorder runs: a process LEAKSCOPE_DISABLE or LEAKSCOPE_PROCESS turned off
//   writes nothing, and one whose fork left the recorder unsafe (StopDumperAfterUnsafeFork) has
//   its dumps stopped, so WriteFinalDump writes nothing there either.
// - Not from inside the recorder (the guard not entered): none of our code calls _exit, and
//   whatever we called that did would leave our own state half-done.
// - Never from a signal handler, where _exit is the one safe way out (a SIGTERM handler, the
//   JVM's crash handler under -XX:-CreateCoredumpOnCrash): the handler may have interrupted this
//   very thread inside malloc (holding its arena's lock, which the dump's own allocations would
//   wait for forever) or inside a dump (holding the dump mutex). When the stack cannot show
//   whether a handler runs, no dump either: a hang at exit is worse than a missing dump. Both
//   are said on stderr, since the dump the user expects is not there.
// - Never twice: WriteFinalDump writes nothing once the final dump is written (g_stopped), so an
//   _exit after exit()'s destructor, or from a second thread, writes none. A thread that calls
//   _exit while another writes the exit dump waits for it, then exits.
// Other threads keep running and allocating meanwhile, as during any dump.
void WriteDumpBeforeImmediateExit(const char* via) {
  if (g_own_pid == 0 || static_cast<pid_t>(syscall(SYS_getpid)) != g_own_pid) return;
  if (!g_recorder.ready()) return;
  ReentrancyGuard guard;
  if (!guard.entered()) return;
  switch (FindSignalContext(guard)) {
    case SignalContext::kNone:
      WriteFinalDump(guard);
      return;
    case SignalContext::kHandler:
      RawLog(LogLevel::kWarn,
             "pid %d called %s from a signal handler; no exit dump (the handler may have "
             "interrupted a lock the dump needs)",
             static_cast<int>(g_own_pid), via);
      return;
    case SignalContext::kCannotTell:
      RawLog(LogLevel::kWarn,
             "pid %d called %s where its stack cannot show whether a signal handler runs; no "
             "exit dump",
             static_cast<int>(g_own_pid), via);
      return;
  }
}

}  // namespace leakscope::recorder
