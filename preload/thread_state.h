// SPDX-License-Identifier: Apache-2.0
// Per-thread recorder state in one initial-exec TLS block: one %fs-relative access, no TLS
// wrapper call, no allocation, valid from a thread's first instruction (all-zero is the start
// state), so hooks can use it before main and in threads the JVM creates.
#pragma once

#include <cstdint>

namespace leakscope::recorder {

// The stack this thread sampled last: its frames (in the stack table's record, which never
// changes once written), the mapping epoch they were taken in, and its id (see CurrentStackId).
struct LastStack {
  const uint64_t* pcs;
  uint32_t depth;
  uint32_t id;  // 0: nothing remembered
  uint32_t epoch;
};

// The blocks a JDK stream-opening native (Inflater/Deflater init, hooks_jdk_zlib.cc) allocates
// while it runs: the z_stream it callocs first, then what zlib's init allocates for it. The zlib
// bundled in the JDK's libzip.so calls no hook of ours, so these are caught in SampleAllocation
// (the countdown is held at 0 meanwhile) and recorded exactly, against the stack of the first.
struct StreamCapture {
  uint8_t kind;  // format::StreamKind; 0: no capture
  bool active;   // blocks are being caught (stops after kMaxCapturedBlocks)
  uint8_t blocks;
  uint32_t stack_id;
  uint64_t saved_countdown;  // bytes_until_sample before the capture began
  uint64_t bytes;            // of all the blocks recorded
  uintptr_t first, second;   // the first two blocks (the z_stream, then zlib's state)
  uint32_t first_size, second_size;
};

struct ThreadState {
  // Bytes left before the next sample: an allocation of at least this many bytes is sampled
  // (0, the start state, sends the next allocation to the slow path). Unsigned, so a failed
  // request of nearly SIZE_MAX bytes cannot wind the countdown back.
  uint64_t bytes_until_sample;
  uint64_t rng;      // xorshift state of this thread's sampler; 0 = not seeded yet
  bool in_recorder;  // re-entrancy flag: set while our own code runs (see ReentrancyGuard)
  bool resolving;    // set while dlsym looks up the real functions (bootstrap allocator)
  // Set while a zlib hook or a JDK stream native runs: zlib's inflateInit_ calls inflateInit2_,
  // and the JDK's natives call the system zlib's init and end: only the outermost call records.
  bool in_zlib_hook;
  void* java_env;         // this thread's JNIEnv while the JVMTI agent knows it as a Java thread
  uint8_t counter_shard;  // 1 + this thread's shard of the site counters; 0 = not chosen yet
  LastStack last_stack;
  StreamCapture stream_capture;
};

extern __thread ThreadState t_state __attribute__((tls_model("initial-exec")));

// Marks the current thread as inside the recorder for its lifetime, so that allocations made
// meanwhile (by dlsym, the JVM's calls from the agent, the dumper or any code of ours) pass
// straight through the hooks. The recording entry points (SampleAllocation, RecordStreamOpen)
// take a guard themselves; functions that may only run inside one (CaptureStack, EncodeDump,
// the dumper's) take a `const ReentrancyGuard&`, so that only guarded code can call them.
class ReentrancyGuard {
 public:
  ReentrancyGuard() : entered_(!t_state.in_recorder) { t_state.in_recorder = true; }
  ~ReentrancyGuard() {
    if (entered_) t_state.in_recorder = false;
  }
  ReentrancyGuard(const ReentrancyGuard&) = delete;
  ReentrancyGuard& operator=(const ReentrancyGuard&) = delete;

  // False when the thread was already inside the recorder: the caller must not record.
  bool entered() const { return entered_; }

 private:
  bool entered_;
};

}  // namespace leakscope::recorder
