// SPDX-License-Identifier: Apache-2.0
// Start-up, exit and fork: when the recorder starts its dumper, writes its last dump and resets
// itself in a fork child. The hooks work before any of this runs (see recorder.h).
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>

#include "allocator_front.h"
#include "core/raw_log.h"
#include "dumper.h"
#include "fork_gate.h"
#include "java/java_agent.h"
#include "module_registry.h"
#include "recorder.h"
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

__attribute__((constructor)) void StartRecorder() {
  ReentrancyGuard guard;
  if (!EnsureInitialized()) return;
  // Here, not in EnsureInitialized: that may run inside the first allocation hook, and filling
  // the table takes the loader's lock. Without _dl_find_object, walks before it find no module.
  InitModuleTable();
  g_own_pid = getpid();
  if (!g_recorder.options.follow_children) RemoveSelfFromLdPreload();
  pthread_atfork(PrepareFork, ParentAfterFork, AfterForkInChild);
  DetectAllocator(guard);
  StartDumper(guard);
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
}  // namespace leakscope::recorder
