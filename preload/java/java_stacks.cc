// SPDX-License-Identifier: Apache-2.0
#include "java_stacks.h"

#include <jni.h>
#include <stddef.h>
#include <string.h>
#include <ucontext.h>

#include "dump_format.h"
#include "java_methods.h"

namespace leakscope::recorder::java {

constinit JavaStackCounters g_java_counters{};
std::atomic<void*> g_async_get_call_trace{nullptr};

namespace {

// AsyncGetCallTrace's interface, as HotSpot declares it (not in any public header).
struct CallFrame {
  jint bci;  // negative for native methods and special frames
  jmethodID method_id;
};
struct CallTrace {
  JNIEnv* env_id;
  jint num_frames;  // frames filled, or a negative reason on failure
  CallFrame* frames;
};
using AsyncGetCallTraceFn = void (*)(CallTrace*, jint, void*);

}  // namespace

void EnableCapture(void* async_get_call_trace) {
  g_async_get_call_trace.store(async_get_call_trace, std::memory_order_release);
}

uint32_t CaptureFrames(const ReentrancyGuard& guard, uint64_t* out, uint32_t max) {
  auto walk =
      reinterpret_cast<AsyncGetCallTraceFn>(g_async_get_call_trace.load(std::memory_order_acquire));
  if (walk == nullptr || max == 0) return 0;
  if (max > kMaxFrames) max = kMaxFrames;
  CallFrame frames[kMaxFrames];
  CallTrace trace{static_cast<JNIEnv*>(t_state.java_env), 0, frames};
  // We are in native or VM code (the thread called malloc), where HotSpot walks from the last
  // Java frame and ignores the context. Only a thread "in Java" reads it: give it one that points
  // here, outside the code cache, so such a walk fails cleanly instead of reading garbage.
  ucontext_t context;
#if defined(__aarch64__)
  // The registers only: the 4 KiB after them (__reserved, the FP/SIMD state) is never read.
  memset(&context.uc_mcontext, 0, offsetof(mcontext_t, __reserved));
#else
  memset(&context.uc_mcontext, 0, sizeof(context.uc_mcontext));
#endif
  const auto here = reinterpret_cast<uint64_t>(&CaptureFrames);
  const auto frame = reinterpret_cast<uint64_t>(__builtin_frame_address(0));
#if defined(__x86_64__)
  context.uc_mcontext.gregs[REG_RIP] = static_cast<greg_t>(here);
  context.uc_mcontext.gregs[REG_RSP] = static_cast<greg_t>(frame);
  context.uc_mcontext.gregs[REG_RBP] = static_cast<greg_t>(frame);
#elif defined(__aarch64__)
  // What HotSpot's AArch64 port reads from a context: pc, sp, fp (x29) and lr (x30).
  context.uc_mcontext.pc = here;
  context.uc_mcontext.sp = frame;
  context.uc_mcontext.regs[29] = frame;
  context.uc_mcontext.regs[30] = here;
#else
#error "java_stacks: no ucontext registers for this architecture"
#endif
  walk(&trace, static_cast<jint>(max), &context);
  if (trace.num_frames <= 0) {
    int reason = 1 - trace.num_frames;  // see format::JavaFixed::walks
    if (reason >= kReasons) reason = kReasons - 1;
    g_java_counters.by_reason[reason].fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
  uint32_t n = 0;
  for (int i = 0; i < trace.num_frames && n < max; ++i) {
    auto method = reinterpret_cast<uint64_t>(frames[i].method_id);
    if (!format::CanEncodeJavaMethod(method)) {
      g_java_counters.unencodable.fetch_add(1, std::memory_order_relaxed);
      return 0;
    }
    out[n++] = format::EncodeJavaFrame(method, frames[i].bci);
  }
  // Names must be asked for while the classes are loaded: the first sighting of a method wakes
  // the resolver now rather than at the next dump.
  for (uint32_t i = 0; i < n; ++i) NoteMethod(guard, format::JavaFrameMethod(out[i]));
  g_java_counters.by_reason[0].fetch_add(1, std::memory_order_relaxed);
  return n;
}

}  // namespace leakscope::recorder::java
