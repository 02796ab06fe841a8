// SPDX-License-Identifier: Apache-2.0
// The recorder's stack walk against libunwind's (the oracle here; the recorder no longer links
// it), from the same function, in the shapes of stack a program has: call chains, deep
// recursion, frame-pointer frames with alloca, threads, callbacks from libc, signal handlers;
// where the walk must stop instead (JIT code, a stack it does not know); and the shape cache
// under concurrent walks and clears.
#include "unwind/stack_walker.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

extern "C" int unw_backtrace(void** buffer, int size);

#include "unwind/module_table.h"

namespace leakscope::recorder {
namespace {

// The module lookup, before any test walks: _dl_find_object, or the recorder's own table when
// LEAKSCOPE_TEST_MODULE_TABLE=1 (the CTest recorder.walks_through_module_table).
[[maybe_unused]] const bool kModulesReady = (InitModuleTable(), true);

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
  w->ours_n = WalkStack(g_cache, w->ours, max).frames;
  w->theirs_n = unw_backtrace(reinterpret_cast<void**>(w->theirs), max);
#if defined(__aarch64__)
  // libunwind's AArch64 trace lists each return address minus one (inside the call
  // instruction); ours are the return addresses themselves, as x30 held them.
  for (int i = 0; i < w->theirs_n; ++i) w->theirs[i] += 1;
#endif
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
    Walk capped_walk = WalkStack(g_cache, capped, 10);
    *capped_n = capped_walk.frames;
    EXPECT_EQ(capped_walk.end, WalkEnd::kMaxFrames);
    Walk full_walk = WalkStack(g_cache, full->ours, 128);
    full->ours_n = full_walk.frames;
    EXPECT_EQ(full_walk.end, WalkEnd::kOutermost);
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

// Frame pointer and a variable-size alloca: the CFA is fp-based (rbp, x29) in this frame.
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

#if defined(__aarch64__)
// A frame whose saved return address is signed (paciasp: pointer authentication, which qemu's
// CPU implements). x30 as signed, and the return address as the compiler strips it.
uint64_t g_signed_x30, g_return_address;
__attribute__((noinline, target("branch-protection=pac-ret"))) void SignedFrame(Walks* w) {
  asm volatile("mov %0, x30" : "=r"(g_signed_x30));
  g_return_address = reinterpret_cast<uint64_t>(__builtin_return_address(0));
  ChainA(w);
  asm volatile("");
}

TEST(StackWalker, StripsPointerAuthenticationFromSavedReturnAddresses) {
  Walks w;
  SignedFrame(&w);
  // The saved x30 carries a code in its high bits. Up to SignedFrame the walk is libunwind's
  // (Debian 12's libunwind does not strip the code, and stops there); one frame further, ours
  // is the return address itself, and the walk goes on to the outermost frame.
  EXPECT_GE(g_signed_x30, uint64_t{1} << 48);
  ASSERT_GT(w.ours_n, 6);
  ASSERT_GE(w.theirs_n, 5);
  EXPECT_EQ(std::vector<uint64_t>(w.ours + 1, w.ours + 5),
            std::vector<uint64_t>(w.theirs + 1, w.theirs + 5));
  EXPECT_EQ(w.ours[5], g_return_address);
  EXPECT_LT(w.ours_n, 128);
  for (int i = 0; i < w.ours_n; ++i) EXPECT_LT(w.ours[i], uint64_t{1} << 48) << i;
}
#endif

// A 40 KiB frame: an sp-based CFA offset far beyond the usual, still cached and stepped.
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

Walks* g_signal_walks;
void WalkInHandler(int) { WalkBoth(g_signal_walks); }

__attribute__((noinline)) void RaiseHere() {
  raise(SIGUSR1);
  asm volatile("");
}
__attribute__((noinline)) void CallRaiseHere() {
  RaiseHere();
  asm volatile("");
}

#if defined(__x86_64__)
// Through the kernel's signal frame (glibc's __restore_rt) into the interrupted frames, as
// libunwind does, to the outermost frame.
TEST(StackWalker, MatchesLibunwindThroughASignalHandler) {
  struct sigaction action {
  }, previous{};
  action.sa_handler = WalkInHandler;
  ASSERT_EQ(sigaction(SIGUSR1, &action, &previous), 0);
  Walks w;
  g_signal_walks = &w;
  CallRaiseHere();
  sigaction(SIGUSR1, &previous, nullptr);
  ExpectSameCallers(w);
  EXPECT_LT(w.ours_n, 128);
  // The interrupted frames are there: CallRaiseHere called RaiseHere, which raised.
  uintptr_t after = reinterpret_cast<uintptr_t>(&CallRaiseHere);
  bool saw_caller = false;
  for (int i = 0; i < w.ours_n; ++i) saw_caller |= w.ours[i] - after < 64;
  EXPECT_TRUE(saw_caller);
}
#else
// On AArch64 the walk does not step through the kernel's signal frame (frame_shape.h): it
// matches libunwind up to the signal trampoline, keeps the trampoline as its last frame, and
// stops there.
TEST(StackWalker, StopsAtTheSignalTrampolineMatchingLibunwindUpToIt) {
  struct sigaction action {
  }, previous{};
  action.sa_handler = WalkInHandler;
  ASSERT_EQ(sigaction(SIGUSR1, &action, &previous), 0);
  Walks w;
  g_signal_walks = &w;
  CallRaiseHere();
  sigaction(SIGUSR1, &previous, nullptr);
  ASSERT_GE(w.ours_n,
            2);  // the handler's frames (WalkInHandler may be a tail call), the trampoline
  ASSERT_GE(w.theirs_n, w.ours_n);
  EXPECT_EQ(std::vector<uint64_t>(w.ours + 1, w.ours + w.ours_n),
            std::vector<uint64_t>(w.theirs + 1, w.theirs + w.ours_n));
  // Nothing of the interrupted frames: the walk ended at the trampoline.
  uintptr_t after = reinterpret_cast<uintptr_t>(&CallRaiseHere);
  for (int i = 0; i < w.ours_n; ++i) EXPECT_GE(w.ours[i] - after, 64u);
}
#endif

// Code in no module, as a JIT emits it, that makes the frame pointer an ordinary register the
// way C2 code does (here: an address just unmapped) and calls fn(arg):
#if defined(__x86_64__)
//   push %rbp; mov %rdi,%rax; mov %rsi,%rdi; mov %rdx,%rbp; call *%rax; pop %rbp; ret
class JitCode {
 public:
  static constexpr uint8_t kCode[] = {0x55, 0x48, 0x89, 0xf8, 0x48, 0x89, 0xf7,
                                      0x48, 0x89, 0xd5, 0xff, 0xd0, 0x5d, 0xc3};
  static constexpr size_t kReturnOffset = 12;  // after the call
#else
//   stp x29, x30, [sp, #-16]!; mov x16, x0; mov x0, x1; mov x29, x2; blr x16;
//   ldp x29, x30, [sp], #16; ret
class JitCode {
 public:
  static constexpr uint32_t kCode[] = {0xa9bf7bfd, 0xaa0003f0, 0xaa0103e0, 0xaa0203fd,
                                       0xd63f0200, 0xa8c17bfd, 0xd65f03c0};
  static constexpr size_t kReturnOffset = 20;  // after the blr
#endif

  JitCode() {
    page_ = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(page_, kCode, sizeof(kCode));
    mprotect(page_, kPage, PROT_READ | PROT_EXEC);
    // AArch64's instruction cache does not snoop data writes (a no-op on x86-64).
    __builtin___clear_cache(static_cast<char*>(page_), static_cast<char*>(page_) + sizeof(kCode));
    void* hole = mmap(nullptr, kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(hole, kPage);
    wild_rbp_ = reinterpret_cast<uint64_t>(hole) + 64;
  }
  ~JitCode() { munmap(page_, kPage); }

  void Call(void (*fn)(void*), void* arg) {
    reinterpret_cast<void (*)(void (*)(void*), void*, uint64_t)>(page_)(fn, arg, wild_rbp_);
  }
  uint64_t return_address() const { return reinterpret_cast<uint64_t>(page_) + kReturnOffset; }

 private:
  static constexpr size_t kPage = 4096;
  void* page_;
  uint64_t wild_rbp_;
};

struct JitWalk {
  uint64_t pcs[128];
  Walk walk;
};

__attribute__((noinline)) void WalkFromJittedCaller(void* arg) {
  auto* out = static_cast<JitWalk*>(arg);
  out->walk = WalkStack(g_cache, out->pcs, 128);
  asm volatile("" ::: "memory");
}

TEST(StackWalker, StopsAtTheFirstReturnAddressIntoJitCode) {
  JitCode jit;
  JitWalk out{};
  jit.Call(WalkFromJittedCaller, &out);
  // pcs[0] is the walk's own pc in WalkFromJittedCaller; its caller is the JIT code, kept as the
  // boundary, and nothing beyond it is read (its rbp would fault).
  ASSERT_EQ(out.walk.frames, 2);
  EXPECT_EQ(out.walk.end, WalkEnd::kJit);
  EXPECT_EQ(out.pcs[1], jit.return_address());
  // Twice: JIT code is never cached as a shape.
  JitWalk again{};
  jit.Call(WalkFromJittedCaller, &again);
  EXPECT_EQ(again.walk.frames, 2);
  EXPECT_EQ(again.walk.end, WalkEnd::kJit);
}

// On a stack the walk knows no top for (a coroutine's, far from the thread's own), it reads
// nothing at all.
ucontext_t g_main_context, g_coroutine_context;
JitWalk g_coroutine_walk;
void OnCoroutineStack() { g_coroutine_walk.walk = WalkStack(g_cache, g_coroutine_walk.pcs, 128); }

TEST(StackWalker, ReadsNothingOnAStackItKnowsNoTopFor) {
  constexpr size_t kSize = 256 << 10;
  // Far below every thread's stack and descriptor.
  void* stack = mmap(reinterpret_cast<void*>(uintptr_t{8} << 30), kSize, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(stack, MAP_FAILED);
  ASSERT_EQ(StackTopAbove(reinterpret_cast<uint64_t>(stack) + kSize / 2), 0u);
  getcontext(&g_coroutine_context);
  g_coroutine_context.uc_stack.ss_sp = stack;
  g_coroutine_context.uc_stack.ss_size = kSize;
  g_coroutine_context.uc_link = &g_main_context;
  makecontext(&g_coroutine_context, OnCoroutineStack, 0);
  g_coroutine_walk.walk = Walk{-1, WalkEnd::kOutermost};
  ASSERT_EQ(swapcontext(&g_main_context, &g_coroutine_context), 0);
  EXPECT_EQ(g_coroutine_walk.walk.frames, 0);
  EXPECT_EQ(g_coroutine_walk.walk.end, WalkEnd::kUnknownStack);
  munmap(stack, kSize);
}

uint64_t CurrentSp() {
  uint64_t sp;
#if defined(__x86_64__)
  asm volatile("mov %%rsp, %0" : "=r"(sp));
#else
  asm volatile("mov %0, sp" : "=r"(sp));
#endif
  return sp;
}

// The top of the thread's stack: above sp, and no further than the stack's own end.
::testing::AssertionResult TopIsThisThreadsStackEnd() {
  uint64_t sp = CurrentSp();
  uint64_t top = StackTopAbove(sp);
  pthread_attr_t attr;
  pthread_getattr_np(pthread_self(), &attr);
  void* low;
  size_t size;
  pthread_attr_getstack(&attr, &low, &size);
  pthread_attr_destroy(&attr);
  uint64_t end = reinterpret_cast<uint64_t>(low) + size;
  if (top > sp && top <= end) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << std::hex << "sp 0x" << sp << " top 0x" << top << " stack [0x"
         << reinterpret_cast<uint64_t>(low) << ", 0x" << end << ")";
}

TEST(StackBounds, TopOfTheInitialThreadsStack) {
  EXPECT_TRUE(TopIsThisThreadsStackEnd());
  EXPECT_EQ(StackTopAbove(CurrentSp()), reinterpret_cast<uint64_t>(__libc_stack_end) + 8);
}

TEST(StackBounds, TopOfAThreadsStackIsItsDescriptor) {
  ::testing::AssertionResult inside = ::testing::AssertionFailure();
  uint64_t top = 0;
  std::thread([&] {
    inside = TopIsThisThreadsStackEnd();
    top = StackTopAbove(CurrentSp());
    EXPECT_EQ(top, reinterpret_cast<uint64_t>(pthread_self()));
  }).join();
  EXPECT_TRUE(inside);
}

TEST(StackBounds, TopOfAThreadOnAStackItWasGiven) {
  constexpr size_t kSize = 1 << 20;
  void* stack = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(stack, MAP_FAILED);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstack(&attr, stack, kSize);
  struct Result {
    uint64_t sp, top;
  } result{};
  pthread_t thread;
  ASSERT_EQ(pthread_create(
                &thread, &attr,
                [](void* arg) -> void* {
                  auto* r = static_cast<Result*>(arg);
                  r->sp = CurrentSp();
                  r->top = StackTopAbove(r->sp);
                  return nullptr;
                },
                &result),
            0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  uint64_t begin = reinterpret_cast<uint64_t>(stack);
  EXPECT_GT(result.top, result.sp);
  EXPECT_LE(result.top, begin + kSize);
  EXPECT_GE(result.sp, begin);
  munmap(stack, kSize);
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
  EXPECT_EQ(first.cfa_from_fp, second.cfa_from_fp);
  EXPECT_EQ(first.cfa_offset, second.cfa_offset);
  EXPECT_EQ(first.fp_offset, second.fp_offset);
  FrameShape direct;
  ASSERT_TRUE(FindFrameShape(pc, &direct));
  EXPECT_EQ(second.cfa_offset, direct.cfa_offset);
  EXPECT_EQ(second.fp_offset, direct.fp_offset);
#if defined(__aarch64__)
  EXPECT_EQ(second.cfa_from_fp, direct.cfa_from_fp);
  EXPECT_EQ(first.ra_offset, second.ra_offset);
  EXPECT_EQ(second.ra_offset, direct.ra_offset);
#endif
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

TEST(FrameShapeCache, APcInNoModuleIsNoModuleEveryTime) {
  void* page = aligned_alloc(4096, 4096);  // heap: no module's code
  FrameShapeCache cache;
  FrameShape shape;
  for (int i = 0; i < 2; ++i) {  // never cached: a library may be mapped there later
    EXPECT_EQ(cache.Lookup(reinterpret_cast<uintptr_t>(page) + 16, &shape),
              FrameShapeCache::Answer::kNoModule);
  }
  EXPECT_EQ(cache.misses(), 2u);
  EXPECT_EQ(cache.Lookup(0, &shape), FrameShapeCache::Answer::kNoModule);
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
}  // namespace leakscope::recorder
