// SPDX-License-Identifier: Apache-2.0
#include "recorder.h"

#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "core/clock.h"
#include "core/process_filter.h"
#include "core/raw_log.h"
#include "core/region.h"
#include "export.h"
#include "java/java_stacks.h"
#include "real_functions.h"
#include "unwinder.h"

namespace leakscope::recorder {

constinit Recorder g_recorder;

namespace {

// A cycle counter read from user space: no system call, no allocation, valid before main.
uint64_t CycleCounter() {
#if defined(__x86_64__)
  return __rdtsc();
#elif defined(__aarch64__)
  uint64_t ticks;  // the virtual counter, which Linux lets user space read (the vDSO clock does)
  asm volatile("mrs %0, cntvct_el0" : "=r"(ticks));
  return ticks;
#else
#error "recorder: no cycle counter for this architecture"
#endif
}

uint64_t FreshSeed() {
  return CycleCounter() ^ reinterpret_cast<uintptr_t>(&t_state) ^
         (static_cast<uint64_t>(getpid()) << 32);
}

static_assert(kMaxDepth + java::kMaxFrames <= format::kMaxSiteDepth,
              "readers must accept every stack we record");

constexpr uint32_t kOwnAllocation = UINT32_MAX;

// Unwinds, interns the stack and returns its id (the overflow site when the table is full), or
// kOwnAllocation when the call came from the recorder itself rather than through a hook. Inlined
// into its callers, like CaptureStack, so the walk has one frame of ours fewer to step through.
__attribute__((always_inline)) inline uint32_t CurrentStackId(const ReentrancyGuard& guard) {
  // Room for our own frames before the program's, and for Java frames after them.
  uint64_t raw[kMaxDepth + kOwnFramesSlack + java::kMaxFrames];
  ProgramFrames frames;
  if (!CaptureStack(guard, raw, static_cast<uint32_t>(g_recorder.options.depth), &frames)) {
    return kOwnAllocation;
  }
  uint64_t* pcs = raw + frames.first;
  uint32_t depth = frames.depth;
  if (depth == 0) g_recorder.unwind_failures.fetch_add(1, std::memory_order_relaxed);
  if (frames.end == WalkEnd::kUnsupported) {
    g_recorder.truncated_walks.fetch_add(1, std::memory_order_relaxed);
  }
  // Java frames go after the native ones; the analyzer splices them where the native stack
  // enters the JVM.
  if (java::CanCapture()) depth += java::CaptureFrames(guard, pcs + depth, java::kMaxFrames);
  // A thread tends to sample the same stack again and again (a loop that allocates). Comparing
  // with its last one (innermost frame first: where stacks differ most) skips the hash and the
  // table's index slot and offset, cold after the program's own work between two samples.
  // The same PCs after a dlclose that unmapped a module may be another library's code: a stack
  // of another epoch is another stack (one relaxed load, on the sampled path only).
  const uint32_t epoch = MappingEpoch();
  LastStack& last = t_state.last_stack;
  if (last.id != 0 && last.depth == depth && depth != 0 && last.epoch == epoch) {
    uint32_t i = 0;
    while (i < depth && last.pcs[i] == pcs[i]) ++i;
    if (i == depth) return last.id;
  }
  uint32_t id = g_recorder.stacks.Intern(pcs, depth, epoch, StackTable::Hash(pcs, depth, epoch));
  if (id != format::kOverflowSiteId && depth != 0) {
    last = LastStack{g_recorder.stacks.Pcs(id), depth, id, epoch};
  }
  return id;
}

std::atomic<uint32_t> g_next_shard{0};

// Threads take the shards in turn, so up to kCounterShards threads never share one.
uint32_t CounterShard() {
  if (t_state.counter_shard == 0) {
    t_state.counter_shard = static_cast<uint8_t>(
        1 + g_next_shard.fetch_add(1, std::memory_order_relaxed) % kCounterShards);
  }
  return t_state.counter_shard - 1u;
}

void CountAllocated(uint32_t stack_id, uint64_t size, Sampler::Weights weights) {
  SiteCounters& site = g_recorder.stacks.counters(stack_id, CounterShard());
  site.alloc_count.fetch_add(1, std::memory_order_relaxed);
  site.alloc_bytes.fetch_add(size, std::memory_order_relaxed);
  site.alloc_est_bytes.fetch_add(weights.bytes, std::memory_order_relaxed);
  site.alloc_est_count_x256.fetch_add(weights.count_x256, std::memory_order_relaxed);
}

constexpr uint8_t kMaxCapturedBlocks = 16;  // a deflate stream's init allocates 5

void StopCapturing(ThreadState& t) {
  t.stream_capture.active = false;
  t.bytes_until_sample = t.stream_capture.saved_countdown;
}

// One block a JDK stream native allocated (BeginStreamCapture): recorded exactly, whatever the
// sampling, against the stack of the capture's first block. The countdown stays at 0, so the
// next block comes here too.
__attribute__((noinline)) void CaptureStreamBlock(ThreadState& t, void* p, size_t size) {
  StreamCapture& c = t.stream_capture;
  if (p == nullptr) return;
  ReentrancyGuard guard;
  if (c.blocks == 0) {
    c.stack_id = CurrentStackId(guard);
    if (c.stack_id == kOwnAllocation) {
      StopCapturing(t);
      return;
    }
  }
  auto address = reinterpret_cast<uintptr_t>(p);
  if (g_recorder.live.Insert(address, size, c.stack_id, RecorderClock(), /*exact=*/true)) {
    CountAllocated(c.stack_id, size, Sampler::Whole(size));
    c.bytes += size;
  }
  uint32_t size32 = size < UINT32_MAX ? static_cast<uint32_t>(size) : UINT32_MAX;
  if (c.blocks == 0) {
    c.first = address;
    c.first_size = size32;
  } else if (c.blocks == 1) {
    c.second = address;
    c.second_size = size32;
  }
  if (++c.blocks == kMaxCapturedBlocks) StopCapturing(t);
}

}  // namespace

void TickRecorderClock() {
  int64_t elapsed = MonotonicNs() - g_recorder.clock_origin_ns;
  // u32 seconds last 136 years; the clock never goes back, so a racing older tick is harmless.
  uint32_t now = elapsed > 0 ? static_cast<uint32_t>(elapsed / 1'000'000'000) : 0;
  g_recorder.clock_s.store(now, std::memory_order_relaxed);
}

const char* g_agent_options = nullptr;

void SetAgentOptions(const char* options) { g_agent_options = options; }

bool EnsureInitialized() {
  int expected = kUninitialized;
  if (!g_recorder.phase.compare_exchange_strong(expected, kInitializing)) {
    return expected == kReady;
  }
  ReentrancyGuard guard;
  RememberStderr();  // before fd 2 can change hands: messages go to this file or nowhere
  Recorder& r = g_recorder;
  r.options = LoadOptions();
  if (g_agent_options != nullptr) ApplyAgentOptions(g_agent_options, &r.options);
  SetLogLevel(r.options.log_info ? LogLevel::kInfo : LogLevel::kWarn);
  // A process LEAKSCOPE_PROCESS does not name is as if LEAKSCOPE_DISABLE were set: no thread,
  // no dump, no message (nothing after this point logs in a disabled process).
  if (r.options.disable || !ProcessSelected(r.options.process)) {
    r.phase.store(kDisabled, std::memory_order_release);
    return false;
  }
  r.sampler = Sampler(r.options.sample_bytes);
  InitUnwinder();
  if (!r.stacks.Init(r.options.max_stacks, static_cast<uint32_t>(r.options.depth)) ||
      !r.live.Init(r.options.max_live, r.options.sample_bytes) ||
      !r.streams.Init(r.options.max_streams)) {
    RawLog(LogLevel::kWarn, "cannot reserve memory for the recorder's tables; recording is off");
    r.phase.store(kDisabled, std::memory_order_release);
    return false;
  }
  r.instance_id = FreshSeed() * 0x9E3779B97F4A7C15ull;
  r.start_unix_ns = UnixNs();
  r.clock_origin_ns = MonotonicNs();
  TickRecorderClock();
  r.phase.store(kReady, std::memory_order_release);
  return true;
}

__attribute__((noinline)) LEAKSCOPE_HOOK_SECTION void* SampleAllocation(void* p, size_t size) {
  ThreadState& t = t_state;
  if (t.in_recorder || t.resolving) return p;  // our own allocations are never recorded
  if (__builtin_expect(t.stream_capture.active, 0)) {
    CaptureStreamBlock(t, p, size);
    return p;
  }
  if (!g_recorder.ready() && !EnsureInitialized()) {
    int phase = g_recorder.phase.load();
    if (phase == kDisabled || phase == kStopped) t.bytes_until_sample = UINT64_MAX;
    return p;
  }
  ReentrancyGuard guard;
  if (t.rng == 0) {
    // The thread's first call here: its countdown starts at 0 (the zeroed start state), which sends
    // its first allocation to this path undrawn. Draw the countdown now and count this allocation
    // against it like any other; sampling it outright, yet weighing it as if drawn with chance
    // p(size), made every thread's first 32-byte block stand for 128 KiB.
    t.rng = Sampler::Seed(FreshSeed());  // once per thread: FreshSeed calls getpid
    uint64_t first_countdown = g_recorder.sampler.NextInterval(&t.rng);
    if (size < first_countdown) {  // exact mode draws 0: every allocation is sampled
      t.bytes_until_sample = first_countdown - size;
      return p;
    }
  }
  t.bytes_until_sample = g_recorder.sampler.NextInterval(&t.rng);
  if (p == nullptr) return p;
  g_recorder.live.Prefetch(reinterpret_cast<uintptr_t>(p));
  uint32_t stack_id = CurrentStackId(guard);
  if (stack_id == kOwnAllocation) return p;
  if (g_recorder.live.Insert(reinterpret_cast<uintptr_t>(p), size, stack_id, RecorderClock())) {
    CountAllocated(stack_id, size, g_recorder.sampler.Weigh(size));
  }
  return p;
}

__attribute__((noinline)) void ForgetIfSampled(void* p) {
  LiveTable::Entry entry;
  g_recorder.live.Take(reinterpret_cast<uintptr_t>(p), &entry);
}

bool TakeSampled(void* p, LiveTable::Entry* out) {
  return g_recorder.live.Take(reinterpret_cast<uintptr_t>(p), out);
}

void Reinsert(void* p, const LiveTable::Entry& entry) {
  // The old block survived a failed realloc, birth and all. If it no longer fits, Insert counts
  // it dropped.
  g_recorder.live.Insert(reinterpret_cast<uintptr_t>(p), entry);
}

bool RecordStreamOpen(void* stream, format::StreamKind kind) {
  g_recorder.zlib_calls.fetch_add(1, std::memory_order_relaxed);
  ReentrancyGuard guard;
  if (!guard.entered() || (!g_recorder.ready() && !EnsureInitialized())) return false;
  uint32_t stack_id = CurrentStackId(guard);
  if (stack_id == kOwnAllocation) return false;
  uint32_t k = static_cast<uint32_t>(kind);
  if (!g_recorder.streams.Insert(reinterpret_cast<uintptr_t>(stream), k, stack_id)) {
    return false;
  }
  g_recorder.stacks.counters(stack_id, CounterShard())
      .streams_opened[k - 1]
      .fetch_add(1, std::memory_order_relaxed);
  return true;
}

void CancelStreamOpen(void* stream, format::StreamKind kind) {
  StreamTable::Entry entry;
  if (!g_recorder.streams.Take(reinterpret_cast<uintptr_t>(stream), &entry)) return;
  g_recorder.stacks.counters(entry.stack_id, CounterShard())
      .streams_opened[static_cast<uint32_t>(kind) - 1]
      .fetch_sub(1, std::memory_order_relaxed);
}

void RecordStreamEnd(void* stream) {
  g_recorder.zlib_calls.fetch_add(1, std::memory_order_relaxed);
  if (!g_recorder.ready()) return;
  StreamTable::Entry entry;
  g_recorder.streams.Take(reinterpret_cast<uintptr_t>(stream), &entry);
}

bool BeginStreamCapture(format::StreamKind kind) {
  ThreadState& t = t_state;
  if (!g_recorder.ready() || t.in_recorder || t.stream_capture.active) return false;
  t.stream_capture = StreamCapture{};
  t.stream_capture.kind = static_cast<uint8_t>(kind);
  t.stream_capture.active = true;
  t.stream_capture.saved_countdown = t.bytes_until_sample;
  t.bytes_until_sample = 0;  // every allocation takes the slow path, to CaptureStreamBlock
  return true;
}

StreamCapture EndStreamCapture() {
  ThreadState& t = t_state;
  if (t.stream_capture.active) StopCapturing(t);
  StreamCapture capture = t.stream_capture;
  t.stream_capture = StreamCapture{};
  return capture;
}

bool RecordCapturedStream(void* stream, const StreamCapture& capture) {
  g_recorder.zlib_calls.fetch_add(1, std::memory_order_relaxed);
  if (capture.blocks == 0 || capture.kind == 0) return false;
  uint32_t k = capture.kind;
  if (!g_recorder.streams.Insert(reinterpret_cast<uintptr_t>(stream), k, capture.stack_id)) {
    return false;
  }
  g_recorder.stacks.counters(capture.stack_id, CounterShard())
      .streams_opened[k - 1]
      .fetch_add(1, std::memory_order_relaxed);
  uint32_t unused;
  g_recorder.streams.AddBytes(reinterpret_cast<uintptr_t>(stream),
                              static_cast<int64_t>(capture.bytes), &unused);
  return true;
}

void* AllocateForStream(void* stream, size_t bytes) {
  void* p;
  {
    // What zlib's own zcalloc does. Guarded: with jemalloc in front of us, its hooks see this
    // call too, and would sample the block a second time (hooks_jemalloc.cc).
    ReentrancyGuard guard;
    p = real::malloc(bytes);
  }
  if (p == nullptr) return nullptr;
  uint32_t stack_id;
  // A stream already ended (a copy made with inflateCopy outliving its source) keeps allocating
  // unrecorded: there is no opening site left to charge.
  if (!g_recorder.streams.AddBytes(reinterpret_cast<uintptr_t>(stream), static_cast<int64_t>(bytes),
                                   &stack_id)) {
    return p;
  }
  if (g_recorder.live.Insert(reinterpret_cast<uintptr_t>(p), bytes, stack_id, RecorderClock(),
                             /*exact=*/true)) {
    CountAllocated(stack_id, bytes, Sampler::Whole(bytes));
  }
  return p;
}

void FreeForStream(void* stream, void* p) {
  if (p == nullptr) return;
  LiveTable::Entry entry;
  // Forget before the real free, as in free(): the address may be reused at once.
  // Only blocks recorded exactly are a stream's bytes: a JDK stream's allocator, swapped in after
  // its init (hooks_jdk_zlib.cc), also frees blocks its init had allocated through malloc.
  if (g_recorder.live.Take(reinterpret_cast<uintptr_t>(p), &entry) && entry.exact) {
    uint32_t unused;
    g_recorder.streams.AddBytes(reinterpret_cast<uintptr_t>(stream),
                                -static_cast<int64_t>(entry.size), &unused);
  }
  real::free(p);
}

void ResetRecorderAfterFork(const ReentrancyGuard&) {
  Recorder& r = g_recorder;
  ResetAllRegions();
  r.stacks.ResetAfterFork();
  r.live.ResetAfterFork();
  r.streams.ResetAfterFork();
  r.unwind_failures.store(0);
  r.truncated_walks.store(0);
  r.zlib_calls.store(0);
  r.zlib_missing_real.store(0);
  t_state.last_stack = LastStack{};  // the child's one thread: its ids are gone with the table
  r.instance_id = FreshSeed() * 0x9E3779B97F4A7C15ull;
  r.start_unix_ns = UnixNs();
  TickRecorderClock();  // the origin stays the parent's: one scale for every birth
}

}  // namespace leakscope::recorder
