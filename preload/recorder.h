// SPDX-License-Identifier: Apache-2.0
// The recorder's global state and the slow paths the hooks call into. The fast paths themselves
// are inline in hot_path.h.
//
// g_recorder is constant-initialized (constinit): hooks can run before any constructor of ours,
// so nothing here may depend on dynamic initialization.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/live_table.h"
#include "core/options.h"
#include "core/sampler.h"
#include "core/stack_table.h"
#include "core/stream_table.h"
#include "dump_format.h"
#include "export.h"
#include "thread_state.h"

namespace leakscope::recorder {

// kStopped: recording was stopped (`leakscope attach --stop`): as kDisabled, the hooks pass every
// call through; the tables stay, for frees of what was recorded.
enum Phase : int { kUninitialized = 0, kInitializing, kReady, kDisabled, kStopped };

struct Recorder {
  std::atomic<int> phase{kUninitialized};
  Options options;
  Sampler sampler{Options{}.sample_bytes};
  StackTable stacks;
  LiveTable live;
  StreamTable streams;
  std::atomic<uint64_t> unwind_failures{0};
  std::atomic<uint64_t> truncated_walks{0};  // walks that ended at a frame they could not step
  std::atomic<uint64_t> zlib_calls{0};
  std::atomic<uint64_t> zlib_missing_real{0};
  uint64_t instance_id = 0;
  int64_t start_unix_ns = 0;
  // The recorder clock: whole seconds of CLOCK_MONOTONIC since clock_origin_ns (set once, at the
  // first initialization, and kept by fork children, whose inherited clock and births stay on the
  // same scale). Hooks never read a clock: TickRecorderClock() stores it from the dumper thread
  // each time it wakes (at least once a second) and before every dump, and a sample's birth is
  // one relaxed load of it. So a birth is early by at most the time since the last tick: about a
  // second, or longer while no dumper runs (before it started, in a fork child before it
  // restarts), when the clock reads what it last was. Ages come out that much long, never short.
  std::atomic<uint32_t> clock_s{0};
  int64_t clock_origin_ns = 0;
  // The mapping epoch (dump_format.h): how many times the module registry has seen a module
  // unmapped. Written only under the registry's mutex (module_registry.cc); read with one relaxed
  // load when a sampled stack is interned. Kept across fork: the child inherits the mappings.
  std::atomic<uint32_t> mapping_epoch{0};

  bool ready() const { return phase.load(std::memory_order_acquire) == kReady; }
};

extern constinit Recorder g_recorder LEAKSCOPE_INTERNAL;

// Reads CLOCK_MONOTONIC and stores the recorder clock. Not for hooks: the dumper, init and dumps.
void TickRecorderClock();
inline uint32_t RecorderClock() { return g_recorder.clock_s.load(std::memory_order_relaxed); }
inline uint32_t MappingEpoch() { return g_recorder.mapping_epoch.load(std::memory_order_relaxed); }

// The JVMTI agent's option string (core/options.h, ApplyAgentOptions), applied over the
// environment's when EnsureInitialized runs. Set before it, by the agent's start only.
void SetAgentOptions(const char* options);

// Parses options and reserves the tables, once. Returns whether the recorder is ready.
// Another thread's call in progress makes this return false (that allocation goes unsampled).
bool EnsureInitialized();

// The allocation that made this thread's sample countdown cross zero. Never inlined: it is the
// slow path. Returns p, so a hook can end in `return SampleAllocation(p, size)`: a tail call
// that replaces the hook's frame, leaving the stack walk one frame of ours fewer to step through on
// every sample. It lives in the hooks' section, since it is then the outermost frame of ours
// (see IsHookFrame in unwinder.cc).
void* SampleAllocation(void* p, size_t size);

// free() of an address the filter could not rule out.
void ForgetIfSampled(void* p);

// realloc(): takes the old block's entry out before the real realloc (the address may be reused
// by another thread the moment it returns) and puts it back if the realloc failed.
bool TakeSampled(void* p, LiveTable::Entry* out);
void Reinsert(void* p, const LiveTable::Entry& entry);

// zlib streams: every open is recorded with its stack (not sampled), End removes it.
// RecordStreamOpen runs before the real init (which already allocates) and returns whether the
// stream was recorded; if the init then fails, CancelStreamOpen forgets it again.
bool RecordStreamOpen(void* stream, format::StreamKind kind);
void CancelStreamOpen(void* stream, format::StreamKind kind);
void RecordStreamEnd(void* stream);

// Streams the JDK's Inflater/Deflater natives open (hooks_jdk_zlib.cc), in a zlib the hooks may
// never see (bundled in libzip.so). BeginStreamCapture makes every block this thread allocates
// from then on go to SampleAllocation and be recorded exactly, against the stack of the first
// one (the z_stream the native callocs); false when nothing can be recorded (the recorder is not
// ready, or our own code called). EndStreamCapture stops it and returns what was caught;
// RecordCapturedStream then records the stream with the capture's stack and bytes.
bool BeginStreamCapture(format::StreamKind kind);
StreamCapture EndStreamCapture();
bool RecordCapturedStream(void* stream, const StreamCapture& capture);

// A recorded stream's own allocator, installed as its zalloc/zfree: every byte the stream holds
// for its whole life (state, window, buffers) is recorded exactly against its opening site.
void* AllocateForStream(void* stream, size_t bytes);
void FreeForStream(void* stream, void* p);

// Fork child: wipes every table so the child starts empty.
void ResetRecorderAfterFork(const ReentrancyGuard& guard);

}  // namespace leakscope::recorder
