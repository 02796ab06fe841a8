// SPDX-License-Identifier: Apache-2.0
// Java frames for sampled allocations made on Java threads, with AsyncGetCallTrace (exported by
// libjvm.so, JDK 8 to 25). The JVMTI agent (java_agent.cc) meets its preconditions: ClassLoad
// enabled, jmethodIDs created for every loaded class, and the calling thread known as a Java
// thread (ThreadStart/ThreadEnd keep ThreadState::java_env). A walk that fails leaves the native
// stack alone and is counted by reason.
#pragma once

#include <atomic>
#include <cstdint>

#include "thread_state.h"

namespace leakscope::recorder::java {

inline constexpr uint32_t kMaxFrames = 64;

// Walks by AsyncGetCallTrace's result, indexed as format::JavaFixed::walks: 0 walks that
// returned frames, 1 - code for the others.
inline constexpr int kReasons = 12;

struct JavaStackCounters {
  std::atomic<uint64_t> by_reason[kReasons];
  std::atomic<uint64_t> unencodable;  // a method id we could not tag (never seen on HotSpot)
};
extern constinit JavaStackCounters g_java_counters;

// Installed by the agent once AsyncGetCallTrace is found and its preconditions hold; nullptr
// turns capture off again (the VM is going away).
void EnableCapture(void* async_get_call_trace);

// ThreadState::java_env of a thread known not to be a Java thread.
inline void* const kNotJavaThread = reinterpret_cast<void*>(1);

// Asks the JVM (JNI GetEnv: a thread-local read, no allocation) whether this thread is attached,
// for threads that started before the agent (Agent_OnAttach), and caches the answer.
void* LookUpJavaEnv();

// AsyncGetCallTrace while Java frames are on, else nullptr (see EnableCapture).
extern std::atomic<void*> g_async_get_call_trace;

// True when Java frames may be captured on this thread: agent loaded, option on, Java thread.
inline bool CanCapture() {
  if (g_async_get_call_trace.load(std::memory_order_acquire) == nullptr) return false;
  void* env = t_state.java_env;
  if (env == nullptr) env = LookUpJavaEnv();
  return env != kNotJavaThread;
}

// Appends up to `max` tagged Java frames (format::EncodeJavaFrame) to out, innermost first, and
// returns how many: 0 when the walk failed.
uint32_t CaptureFrames(const ReentrancyGuard& guard, uint64_t* out, uint32_t max);

}  // namespace leakscope::recorder::java
