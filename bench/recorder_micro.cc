// SPDX-License-Identifier: Apache-2.0
// recorder_micro: the recorder's pieces timed in isolation with Google Benchmark (issue 5, part 3),
// so that an end-to-end overhead can be explained piece by piece and a change to one piece shows
// up here before it is diluted in a workload.
//
//   Countdown          the sampler's per-allocation fast path: hot_path.h's ShouldSample on the
//                      TLS countdown, with the occasional crossing that draws the next interval
//   NextInterval       drawing one interval (a log(); the slow path pays it once per sample)
//   MaybeContains      free()'s fast path: one filter byte. hot: 4096 addresses in 256 KiB of
//                      heap; cold: random addresses over the filter's whole 1 GiB span, its pages
//                      made resident first, so nearly every read misses the cache
//   InsertTake         one sampled allocation's live-table entry and its free, in an empty table
//                      and in one holding 200,000 other entries
//   InternHit/D        StackTable::Intern of a known stack of D frames (cycling over 1024 of them)
//   InternMiss/D       ... of a new stack (fixed iterations, so the table never fills)
//   Walk/D             the walk the sampled path takes: stack_walker.h's WalkStack over D frames,
//                      its FrameShapeCache warm (the steady state: a program samples the same
//                      call sites again and again, and only a pc's first walk reads .eh_frame).
//                      On a thread of its own, recursion makes the stack D frames deep in all
//                      (the thread's start-up frames included); the counter `frames` says how
//                      many the walk covered
//   Unwind/D           unw_backtrace over the same D frames, its per-thread cache warm: what the
//                      recorder's walk replaced (the recorder no longer links libunwind; it is
//                      the yardstick here)
//   SampledPath/D      the slow path's work minus the hook plumbing: WalkStack + intern (hit) +
//                      insert into the busy live table, then the take of the free
//   SampledPathLibunwind/D  the same with unw_backtrace: what every sample cost before the
//                      recorder had its own walk
//
// The tables come from leakscope_recorder_core (preload/core/), WalkStack and FrameShapeCache
// from leakscope_recorder_unwind (preload/unwind/); unwinder.cc (the recorder's cache and
// CaptureStack) is not in those libraries, so this file has a
// cache of its own. Both walks
// are inlined into the function at the bottom of the recursion, as CaptureStack is into the
// recorder's, so both start from the same frame and walk the same frames. Region reservations
// are limited (region.cc), so every table is created once and shared by the runs of a benchmark.
//
// Usage: recorder_micro [Google Benchmark flags], e.g. --benchmark_filter=Intern
//        --benchmark_repetitions=5 --benchmark_format=json

#define UNW_LOCAL_ONLY
#include <benchmark/benchmark.h>
#include <libunwind.h>
#include <pthread.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "core/live_table.h"
#include "core/options.h"
#include "core/sampler.h"
#include "core/stack_table.h"
#include "hot_path.h"
#include "thread_state.h"
#include "unwind/module_table.h"
#include "unwind/stack_walker.h"

namespace leakscope::recorder {
// The recorder defines this in recorder.cc, which is not in leakscope_recorder_core; defined
// here the same way, so ShouldSample below pays the same initial-exec TLS access as in the hook.
// (hot_path.h's other inline functions refer to g_recorder; they are not used, so not linked.)
__thread ThreadState t_state __attribute__((tls_model("initial-exec")));
}  // namespace leakscope::recorder

namespace {

using leakscope::recorder::LiveTable;
using leakscope::recorder::Sampler;
using leakscope::recorder::StackTable;

constexpr uint64_t kDefaultSampleBytes = leakscope::recorder::Options{}.sample_bytes;
constexpr uint32_t kMaxDepth = 64;  // LEAKSCOPE_DEPTH's default
constexpr int kOwnFramesSlack = 8;  // as unwinder.cc: room for the recorder's own frames

[[noreturn]] void Fail(const char* what) {
  fprintf(stderr, "recorder_micro: %s\n", what);
  exit(1);
}

// Heap-like addresses: 16-byte aligned, as malloc returns them.
std::vector<uintptr_t> RandomAddresses(size_t count, uintptr_t base, uint64_t span, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uintptr_t> out(count);
  for (uintptr_t& a : out) a = base + (rng() % span & ~uint64_t{15});
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sampler.

Sampler g_sampler(kDefaultSampleBytes);
uint64_t g_samples = 0;

// Stands in for SampleAllocation: only what it does to the countdown (draw the next interval).
__attribute__((noinline)) void CrossedCountdown() {
  leakscope::recorder::ThreadState& t = leakscope::recorder::t_state;
  if (t.rng == 0) t.rng = Sampler::Seed(42);
  t.bytes_until_sample = g_sampler.NextInterval(&t.rng);
  ++g_samples;
}

void BM_Countdown(benchmark::State& state) {
  // Sizes as churn draws them (16 B-4 KiB), so the crossings come at the real rate.
  std::mt19937_64 rng(1);
  std::vector<uint64_t> sizes(4096);
  for (uint64_t& s : sizes) s = 16 + rng() % 4081;
  uint64_t samples_before = g_samples;
  size_t i = 0;
  for (auto _ : state) {
    uint64_t size = sizes[i++ & 4095];
    benchmark::DoNotOptimize(size);
    if (__builtin_expect(leakscope::recorder::ShouldSample(size), 0)) CrossedCountdown();
  }
  state.counters["samples_per_1M"] = 1e6 * static_cast<double>(g_samples - samples_before) /
                                     static_cast<double>(state.iterations());
}
BENCHMARK(BM_Countdown);

void BM_NextInterval(benchmark::State& state) {
  uint64_t rng = Sampler::Seed(7);
  for (auto _ : state) benchmark::DoNotOptimize(g_sampler.NextInterval(&rng));
}
BENCHMARK(BM_NextInterval);

// ---------------------------------------------------------------------------------------------
// Live table.

constexpr uint64_t kDefaultMaxLive = leakscope::recorder::Options{}.max_live;
constexpr uintptr_t kHeapBase = uintptr_t{0x5555'0000'0000};
constexpr uint64_t kFilterSpan = uint64_t{1} << 30;  // 2^22 granules of 256 bytes

LiveTable* EmptyLiveTable() {
  static LiveTable* table = [] {
    auto* t = new LiveTable;
    if (!t->Init(kDefaultMaxLive, kDefaultSampleBytes)) Fail("cannot reserve a live table");
    return t;
  }();
  return table;
}

// A default-sized table holding 200,000 entries spread over 32 GiB (one sample per 160 KiB, as
// dense as default sampling makes them), so every filter page is resident (unwritten pages
// would all read the one shared zero page, which is always cached and would flatter the cold
// case).
LiveTable* BusyLiveTable() {
  static LiveTable* table = [] {
    auto* t = new LiveTable;
    if (!t->Init(kDefaultMaxLive, kDefaultSampleBytes)) Fail("cannot reserve a live table");
    uintptr_t base = kHeapBase + (uint64_t{1} << 40);
    for (uintptr_t a : RandomAddresses(200'000, base, uint64_t{32} << 30, 3)) {
      t->Insert(a, 32, 1, 0);  // a duplicate address just takes another slot: harmless here
    }
    return t;
  }();
  return table;
}

void BM_MaybeContainsHot(benchmark::State& state) {
  const LiveTable* table = BusyLiveTable();
  std::vector<uintptr_t> addresses = RandomAddresses(4096, kHeapBase, 256 << 10, 4);
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(table->MaybeContains(addresses[i++ & 4095]));
}
BENCHMARK(BM_MaybeContainsHot);

void BM_MaybeContainsCold(benchmark::State& state) {
  const LiveTable* table = BusyLiveTable();
  constexpr size_t kCount = size_t{1} << 20;
  std::vector<uintptr_t> addresses = RandomAddresses(kCount, kHeapBase, kFilterSpan, 5);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(table->MaybeContains(addresses[i++ & (kCount - 1)]));
  }
}
BENCHMARK(BM_MaybeContainsCold);

// Arg: 0 = empty table, 1 = 200,000 other entries.
void BM_InsertTake(benchmark::State& state) {
  LiveTable* table = state.range(0) == 0 ? EmptyLiveTable() : BusyLiveTable();
  constexpr size_t kCount = size_t{1} << 16;
  // Away from the busy table's addresses, so every Take finds the entry just inserted.
  std::vector<uintptr_t> addresses = RandomAddresses(kCount, kHeapBase, 64 << 20, 6);
  size_t i = 0;
  uint64_t failed = 0;
  for (auto _ : state) {
    uintptr_t a = addresses[i++ & (kCount - 1)];
    LiveTable::Entry entry;
    if (!table->Insert(a, 32, 7, 0) || !table->Take(a, &entry)) ++failed;
  }
  if (failed != 0) state.SkipWithError("an Insert or Take failed");
}
BENCHMARK(BM_InsertTake)->Arg(0)->Arg(1)->ArgName("busy");

// ---------------------------------------------------------------------------------------------
// Stack table.

// The stack depths of the benchmarks below that take one (Arg), in frames.
void Depths(benchmark::internal::Benchmark* b) { b->Arg(8)->Arg(32)->Arg(64)->ArgName("depth"); }

// Return-address-like values: a few modules' text, 16-byte steps.
uint64_t FakePc(std::mt19937_64& rng) {
  return 0x7f00'0000'0000 + (rng() % 8) * 0x100'0000 + (rng() % 200'000) * 16 + 5;
}

void BM_InternHit(benchmark::State& state) {
  static StackTable* table = [] {
    auto* t = new StackTable;
    if (!t->Init(leakscope::recorder::Options{}.max_stacks, kMaxDepth))
      Fail("cannot reserve a stack table");
    return t;
  }();
  uint32_t depth = static_cast<uint32_t>(state.range(0));
  constexpr size_t kStacks = 1024;
  std::mt19937_64 rng(depth);
  std::vector<uint64_t> pcs(kStacks * depth);
  for (uint64_t& pc : pcs) pc = FakePc(rng);
  for (size_t s = 0; s < kStacks; ++s) table->Intern(&pcs[s * depth], depth);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(table->Intern(&pcs[(i++ & (kStacks - 1)) * depth], depth));
  }
}
BENCHMARK(BM_InternHit)->Apply(Depths);

// Fixed, so that every repetition of every depth fits in the table below: 3 depths x 30,000 x
// up to 5 repetitions = 450,000 of its 524,288 stacks.
constexpr uint64_t kMissIterations = 30'000;

void BM_InternMiss(benchmark::State& state) {
  // Not much larger than needed: a new stack touches a random index slot, and a vastly larger
  // index than the default's 1 MiB would turn most inserts into page faults.
  static StackTable* table = [] {
    auto* t = new StackTable;
    if (!t->Init(uint64_t{1} << 19, kMaxDepth)) Fail("cannot reserve a stack table");
    return t;
  }();
  static uint64_t serial = 0;
  uint32_t depth = static_cast<uint32_t>(state.range(0));
  std::mt19937_64 rng(depth + 100);
  std::vector<uint64_t> pcs(depth);
  for (uint64_t& pc : pcs) pc = FakePc(rng);
  bool overflow = false;
  for (auto _ : state) {
    pcs[0] = 0x5000'0000'0000 + 16 * ++serial;  // a stack never seen before
    overflow |= table->Intern(pcs.data(), depth) == 0;
  }
  if (overflow) state.SkipWithError("the stack table filled up: fewer repetitions");
}
BENCHMARK(BM_InternMiss)->Apply(Depths)->Iterations(kMissIterations);

// ---------------------------------------------------------------------------------------------
// Stack walks and the sampled path.

// Calls body() from `depth` frames further down. noinline and the barrier after the call keep
// each level a real frame (no inlining, no tail call).
template <typename Body>
__attribute__((noinline)) void Descend(int depth, Body& body) {
  if (depth <= 0) {
    body();
  } else {
    Descend(depth - 1, body);
  }
  asm volatile("" ::: "memory");
}

void InitUnwinderOnce() {
  static bool done = [] {
    // As InitUnwinder(): per-thread caches, no lock on the unwind path.
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    return true;
  }();
  (void)done;
}

// Zero-initialized like the recorder's g_frame_shapes, and warmed the same way: by walking.
constinit leakscope::recorder::FrameShapeCache g_frame_shapes;

enum class Walker { kOwn, kLibunwind };

// One walk of either kind into pcs[0, max), as CaptureStack makes it. Always inlined (WalkStack's
// first frame is the function it ends up in; unw_backtrace's first entry is the return address
// into it), so both report the same frames. -1: WalkStack met a frame it cannot step.
template <Walker kWalker>
__attribute__((always_inline)) inline int WalkInto(uint64_t* pcs, int max) {
  if constexpr (kWalker == Walker::kOwn) {
    leakscope::recorder::Walk walk = leakscope::recorder::WalkStack(g_frame_shapes, pcs, max);
    bool stopped = walk.end == leakscope::recorder::WalkEnd::kUnsupported ||
                   walk.end == leakscope::recorder::WalkEnd::kUnknownStack;
    return stopped ? -1 : walk.frames;
  } else {
    return unw_backtrace(reinterpret_cast<void**>(pcs), max);
  }
}

// Runs `body` (one of the bodies below) at the bottom of a stack state.range(0) frames deep in
// all, as body's own walker counts them: a first run from Descend(0, ...) counts the frames
// below (the thread's start-up frames and ours), and the recursion makes up the rest. Sets the
// counter `frames`.
//
// On a thread of its own, whose stack holds only ordinary frames below ours (start_thread,
// clone3), as a program's threads do. The harness's stack below a benchmark function does not:
// one of libbenchmark's runner frames takes 10.6 KiB, more than a FrameShapeCache entry can
// hold, so WalkStack would read its shape from .eh_frame on every walk, and Walk/D would time
// that lookup rather than the steady state. The benchmark loop runs on that thread from start
// to end, and Google Benchmark's CPU timer reads the clock of the thread that runs the loop.
template <typename Body>
void RunAtDepth(benchmark::State& state, Body& body) {
  auto run = [](void* arg) -> void* {
    Body& body = *static_cast<Body*>(arg);
    body.probe = true;
    Descend(0, body);
    body.probe = false;
    if (body.frames < 0) return nullptr;
    int levels = static_cast<int>(body.state->range(0)) - body.frames;
    Descend(levels > 0 ? levels : 0, body);
    return nullptr;
  };
  pthread_t thread;
  if (pthread_create(&thread, nullptr, run, &body) != 0) Fail("cannot start a thread");
  pthread_join(thread, nullptr);
  if (body.frames < 0 || body.gave_up) {
    state.SkipWithError("WalkStack met a frame it cannot step");
    return;
  }
  if (body.frames != state.range(0)) {
    // A walk that stopped early would time a shorter walk under this depth's name.
    state.SkipWithError("the walk did not reach the depth asked for");
    return;
  }
  state.counters["frames"] = body.frames;
}

template <Walker kWalker>
struct WalkBody {
  benchmark::State* state;
  int cap;
  bool probe = false;
  int frames = 0;
  bool gave_up = false;
  __attribute__((noinline)) void operator()() {
    uint64_t pcs[kMaxDepth + kOwnFramesSlack];
    if (probe) {
      frames = WalkInto<kWalker>(pcs, kMaxDepth + kOwnFramesSlack);
      return;
    }
    for (auto _ : *state) {
      frames = WalkInto<kWalker>(pcs, cap);
      benchmark::DoNotOptimize(pcs);
      gave_up |= frames < 0;
    }
  }
};

// Arg: frames on the stack in all, the thread's start-up frames included.
template <Walker kWalker>
void WalkBench(benchmark::State& state) {
  InitUnwinderOnce();
  WalkBody<kWalker> body{&state, static_cast<int>(state.range(0))};
  RunAtDepth(state, body);
}
BENCHMARK(WalkBench<Walker::kOwn>)->Name("BM_Walk")->Apply(Depths);
BENCHMARK(WalkBench<Walker::kLibunwind>)->Name("BM_Unwind")->Apply(Depths);

// The same from the sampled path's point of view: walk, intern (a hit after the first call),
// insert into the busy live table and take out again. The walk writes the frames where Intern
// reads them, as in the recorder (no copy).
template <Walker kWalker>
struct SampledBody {
  benchmark::State* state;
  int cap;
  StackTable* stacks;
  LiveTable* live;
  const std::vector<uintptr_t>* addresses;
  bool probe = false;
  int frames = 0;
  bool gave_up = false;
  uint64_t failed = 0;
  __attribute__((noinline)) void operator()() {
    uint64_t pcs[kMaxDepth + kOwnFramesSlack];
    if (probe) {
      frames = WalkInto<kWalker>(pcs, kMaxDepth + kOwnFramesSlack);
      return;
    }
    size_t i = 0;
    size_t mask = addresses->size() - 1;
    for (auto _ : *state) {
      int n = WalkInto<kWalker>(pcs, cap);  // cap <= kMaxDepth, so Intern takes them all
      gave_up |= n < 0;
      uint32_t id = stacks->Intern(pcs, n > 0 ? static_cast<uint32_t>(n) : 0);
      uintptr_t a = (*addresses)[i++ & mask];
      LiveTable::Entry entry;
      if (!live->Insert(a, 32, id, 0) || !live->Take(a, &entry)) ++failed;
      frames = n;
    }
  }
};

// One for both walkers (a static in the template would reserve one each).
StackTable* SampledStackTable() {
  static StackTable* table = [] {
    auto* t = new StackTable;
    if (!t->Init(leakscope::recorder::Options{}.max_stacks, kMaxDepth))
      Fail("cannot reserve a stack table");
    return t;
  }();
  return table;
}

template <Walker kWalker>
void SampledPathBench(benchmark::State& state) {
  InitUnwinderOnce();
  std::vector<uintptr_t> addresses = RandomAddresses(size_t{1} << 16, kHeapBase, 64 << 20, 8);
  SampledBody<kWalker> body{&state, static_cast<int>(state.range(0)), SampledStackTable(),
                            BusyLiveTable(), &addresses};
  RunAtDepth(state, body);
  if (body.failed != 0) state.SkipWithError("an Insert or Take failed");
}
BENCHMARK(SampledPathBench<Walker::kOwn>)->Name("BM_SampledPath")->Apply(Depths);
BENCHMARK(SampledPathBench<Walker::kLibunwind>)->Name("BM_SampledPathLibunwind")->Apply(Depths);

}  // namespace

// The walk finds each pc's module through module_table.h, which the library's constructor
// initialises; here nothing else does, and without it every walk would stop at its first frame.
int main(int argc, char** argv) {
  leakscope::recorder::InitModuleTable();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
