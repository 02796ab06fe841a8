// The recorder's own stack walk against libunwind's, from the same function, in the shapes of
// stack a program has: call chains, deep recursion, frame-pointer frames with alloca, threads,
// callbacks from libc; and the shape cache under concurrent walks and clears.
#include "stack_walker.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

extern "C" int unw_backtrace(void** buffer, int size);

namespace leakscope {
namespace {

FrameShapeCache g_cache;

struct Walks {
  uint64_t ours[128];
  int ours_n;
  uint64_t theirs[128];
  int theirs_n;
};

// Both walks from one frame. unw_backtrace's first entry is the return address into this
// function from it, ours the pc of the walk's own asm: from the second entry on (the return
// address into our caller), the two must agree to the end.
__attribute__((noinline)) void WalkBoth(Walks* w, int max = 128) {
  w->ours_n = WalkStack(g_cache, w->ours, max);
  w->theirs_n = unw_backtrace(reinterpret_cast<void**>(w->theirs), max);
  asm volatile("" ::: "memory");  // keeps the calls from being tail calls
}

void ExpectSameCallers(const Walks& w) {
  ASSERT_GT(w.ours_n, 1) << "our walk gave up or stopped at once";
  ASSERT_GT(w.theirs_n, 1);
  EXPECT_EQ(std::vector<uint64_t>(w.ours + 1, w.ours + w.ours_n),
            std::vector<uint64_t>(w.theirs + 1, w.theirs + w.theirs_n));
}

__attribute__((noinline)) void ChainC(Walks* w) {
  WalkBoth(w);
  asm volatile("");
}
__attribute__((noinline)) void ChainB(Walks* w) {
  ChainC(w);
  asm volatile("");
}
__attribute__((noinline)) void ChainA(Walks* w) {
  ChainB(w);
  asm volatile("");
}

TEST(StackWalker, MatchesLibunwindOnACallChain) {
  Walks w;
  ChainA(&w);
  ExpectSameCallers(w);
  // Twice: the second walk takes every shape from the cache.
  Walks again;
  ChainA(&again);
  ExpectSameCallers(again);
}

__attribute__((noinline)) int Recurse(int depth, Walks* w) {
  if (depth == 0) {
    WalkBoth(w);
    return 0;
  }
  int r = Recurse(depth - 1, w);
  asm volatile("" : "+r"(r));
  return r + 1;
}

TEST(StackWalker, MatchesLibunwindFortyFramesDeep) {
  Walks w;
  Recurse(40, &w);
  ExpectSameCallers(w);
  EXPECT_GT(w.ours_n, 40);
}

__attribute__((noinline)) int RecurseAndWalkTwice(int depth, uint64_t* capped, int* capped_n,
                                                  Walks* full) {
  if (depth == 0) {
    *capped_n = WalkStack(g_cache, capped, 10);
    full->ours_n = WalkStack(g_cache, full->ours, 128);
    return 0;
  }
  int r = RecurseAndWalkTwice(depth - 1, capped, capped_n, full);
  asm volatile("" : "+r"(r));
  return r + 1;
}

TEST(StackWalker, StopsAtMaxWithTheInnermostFrames) {
  uint64_t capped[10];
  int capped_n = 0;
  Walks full;
  RecurseAndWalkTwice(40, capped, &capped_n, &full);
  ASSERT_EQ(capped_n, 10);
  ASSERT_GT(full.ours_n, 40);
  // The first pcs are the two asm points; the callers from there on are the same.
  EXPECT_EQ(std::vector<uint64_t>(capped + 1, capped + 10),
            std::vector<uint64_t>(full.ours + 1, full.ours + 10));
}

// Frame pointer and a variable-size alloca: the CFA is rbp-based in this frame.
__attribute__((noinline, optimize("no-omit-frame-pointer"))) void WithAlloca(size_t n, Walks* w) {
  char* buffer = static_cast<char*>(__builtin_alloca(n));
  buffer[0] = 1;
  asm volatile("" : : "r"(buffer) : "memory");
  ChainA(w);
}

TEST(StackWalker, MatchesLibunwindThroughAnAllocaFrame) {
  Walks w;
  WithAlloca(static_cast<size_t>(std::rand() % 4096 + 100), &w);
  ExpectSameCallers(w);
}

// A 40 KiB frame: an rsp-based CFA offset far beyond the usual, still cached and stepped.
__attribute__((noinline)) void WithLargeFrame(Walks* w) {
  volatile char buffer[40 << 10];
  buffer[0] = 1;
  buffer[sizeof(buffer) - 1] = 2;
  ChainA(w);
  asm volatile("" : : "r"(buffer) : "memory");
}

TEST(StackWalker, MatchesLibunwindThroughALargeFrame) {
  for (int i = 0; i < 2; ++i) {  // the second walk steps it from the cache
    Walks w;
    WithLargeFrame(&w);
    ExpectSameCallers(w);
  }
}

Walks* g_qsort_walks;
int CompareAndWalk(const void* a, const void* b) {
  if (g_qsort_walks != nullptr) {
    WalkBoth(g_qsort_walks);
    g_qsort_walks = nullptr;
  }
  return *static_cast<const int*>(a) - *static_cast<const int*>(b);
}

TEST(StackWalker, MatchesLibunwindThroughLibc) {
  Walks w;
  g_qsort_walks = &w;
  int values[] = {3, 1, 2};
  qsort(values, 3, sizeof(int), CompareAndWalk);
  ExpectSameCallers(w);
}

TEST(StackWalker, MatchesLibunwindOnAThreadToItsOutermostFrame) {
  Walks w;
  std::thread([&] { ChainA(&w); }).join();
  ExpectSameCallers(w);
  // Both end at the thread's first frame (clone3), not at max.
  EXPECT_LT(w.ours_n, 128);
  EXPECT_EQ(w.ours[w.ours_n - 1], w.theirs[w.theirs_n - 1]);
}

TEST(StackWalker, MatchesLibunwindOnAPthread) {
  Walks w;
  pthread_t thread;
  ASSERT_EQ(pthread_create(
                &thread, nullptr,
                [](void* arg) -> void* {
                  ChainA(static_cast<Walks*>(arg));
                  return nullptr;
                },
                &w),
            0);
  pthread_join(thread, nullptr);
  ExpectSameCallers(w);
}

TEST(FrameShapeCache, AnswersFromTheCacheAfterTheFirstLookup) {
  FrameShapeCache cache;
  uintptr_t pc = reinterpret_cast<uintptr_t>(&ChainB) + 4;
  FrameShape first, second;
  ASSERT_EQ(cache.Lookup(pc, &first), FrameShapeCache::Answer::kStep);
  EXPECT_EQ(cache.misses(), 1u);
  ASSERT_EQ(cache.Lookup(pc, &second), FrameShapeCache::Answer::kStep);
  EXPECT_EQ(cache.misses(), 1u);  // the second from the cache
  cache.Clear();
  ASSERT_EQ(cache.Lookup(pc, &second), FrameShapeCache::Answer::kStep);
  EXPECT_EQ(cache.misses(), 2u);
  EXPECT_EQ(first.cfa_from_rbp, second.cfa_from_rbp);
  EXPECT_EQ(first.cfa_offset, second.cfa_offset);
  EXPECT_EQ(first.rbp_offset, second.rbp_offset);
  FrameShape direct;
  ASSERT_TRUE(FindFrameShape(pc, &direct));
  EXPECT_EQ(second.cfa_offset, direct.cfa_offset);
  EXPECT_EQ(second.rbp_offset, direct.rbp_offset);
}

TEST(FrameShapeCache, ResidentBytesAreThePagesHoldingEntries) {
  static FrameShapeCache cache;  // .bss, like the recorder's
  EXPECT_EQ(cache.ResidentBytes(), 0u);
  FrameShape shape;
  ASSERT_EQ(cache.Lookup(reinterpret_cast<uintptr_t>(&ChainB) + 4, &shape),
            FrameShapeCache::Answer::kStep);
  EXPECT_EQ(cache.ResidentBytes(), static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
  cache.Clear();
  EXPECT_EQ(cache.ResidentBytes(), 0u);
}

TEST(FrameShapeCache, SendsAPcInNoModuleToLibunwind) {
  void* page = aligned_alloc(4096, 4096);  // heap: no module's code
  FrameShapeCache cache;
  FrameShape shape;
  EXPECT_EQ(cache.Lookup(reinterpret_cast<uintptr_t>(page) + 16, &shape),
            FrameShapeCache::Answer::kNeedsLibunwind);
  EXPECT_EQ(cache.Lookup(0, &shape), FrameShapeCache::Answer::kNeedsLibunwind);
  free(page);
}

// Walks on four threads while a fifth clears the cache over and over: every walk must still be
// libunwind's (a torn or stale entry would send a walk astray).
TEST(FrameShapeCache, WalksStayExactWhileAnotherThreadClears) {
  std::atomic<bool> stop{false};
  std::atomic<int> mismatches{0}, walks{0};
  std::thread clearer([&] {
    while (!stop.load()) g_cache.Clear();
  });
  std::vector<std::thread> walkers;
  for (int t = 0; t < 4; ++t) {
    walkers.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        Walks w;
        Recurse(i % 20, &w);
        std::vector<uint64_t> ours(w.ours + 1, w.ours + w.ours_n);
        std::vector<uint64_t> theirs(w.theirs + 1, w.theirs + w.theirs_n);
        if (w.ours_n < 2 || ours != theirs) mismatches.fetch_add(1);
        walks.fetch_add(1);
      }
    });
  }
  for (auto& t : walkers) t.join();
  stop.store(true);
  clearer.join();
  EXPECT_EQ(walks.load(), 8000);
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace leakscope
