// SPDX-License-Identifier: Apache-2.0
// churn: a multi-threaded malloc/free churn with a small, known leak. The workload behind the
// overhead figures in bench/RESULTS.md (issue 5): run it plain, under libleakscope.so, heaptrack
// and jemalloc's profiler, and compare times.
//
// Each thread keeps a ring of live blocks and, per step, frees the block in the next slot and
// allocates a new one there, so frees interleave with allocations and blocks live for a while,
// as in real programs (a tight malloc/free pair would let every allocator serve the same chunk
// again and again). Sizes are uniform in [16, 4096] bytes from a per-thread seeded generator, so
// every run does exactly the same calls. The leak, 1000 blocks of 1 KiB by default, comes from
// one named function that profilers should report: LeakKnownBlocks.
//
// Usage: churn [--threads N] [--allocs TOTAL] [--window SLOTS] [--leak-blocks N]
//              [--leak-size BYTES] [--touch BYTES] [--seed S] [--quiet | --summary]
// --touch: bytes written at the start of each new block (default 16; 4096 writes whole blocks).
// Prints nothing unless --summary is given or an argument is wrong (exit status 2).

#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "parse_count.h"

namespace {

struct Options {
  uint64_t threads = 2;
  uint64_t allocs = 8'000'000;  // in total, split over the threads
  uint64_t window = 1024;       // live blocks per thread
  uint64_t leak_blocks = 1000;
  uint64_t leak_size = 1024;
  uint64_t touch = 16;  // bytes written in each new block, so the allocator's memory is used
  uint64_t seed = 1;
  bool summary = false;
};

constexpr uint64_t kMinSize = 16;
constexpr uint64_t kMaxSize = 4096;

// Keeps the compiler from proving a block unused and deleting its malloc (GCC does delete an
// unused malloc/free pair).
inline void Escape(void* p) { asm volatile("" : : "r"(p) : "memory"); }

// xorshift64*: a few instructions per draw, so the generator does not dilute the allocator's
// share of the run time the way std::mt19937 would.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull) {
    if (state_ == 0) state_ = 1;
  }
  uint64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1Dull;
  }

 private:
  uint64_t state_;
};

// One thread's share of the churn. Returns a checksum of bytes read back from freed blocks so
// the work cannot be optimised away.
__attribute__((noinline)) uint64_t Churn(uint64_t steps, uint64_t window, uint64_t touch,
                                         uint64_t seed) {
  Rng rng(seed);
  std::vector<unsigned char*> ring(window, nullptr);
  uint64_t checksum = 0;
  for (uint64_t i = 0; i < steps; ++i) {
    unsigned char*& slot = ring[i % window];
    if (slot != nullptr) {
      checksum += slot[0];
      free(slot);
    }
    size_t size = kMinSize + rng.Next() % (kMaxSize - kMinSize + 1);
    slot = static_cast<unsigned char*>(malloc(size));
    if (slot == nullptr) abort();
    memset(slot, static_cast<int>(i), size < touch ? size : touch);
    Escape(slot);
  }
  for (unsigned char* p : ring) free(p);
  return checksum;
}

using leakscope::bench::ParseCount;

[[noreturn]] void Usage(const char* why) {
  fprintf(
      stderr,
      "churn: %s\nusage: churn [--threads N] [--allocs TOTAL] [--window SLOTS] "
      "[--leak-blocks N] [--leak-size BYTES] [--touch BYTES] [--seed S] [--quiet | --summary]\n",
      why);
  exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    if (strcmp(arg, "--quiet") == 0) {
      options.summary = false;
      continue;
    }
    if (strcmp(arg, "--summary") == 0) {
      options.summary = true;
      continue;
    }
    uint64_t* target = nullptr;
    if (strcmp(arg, "--threads") == 0) target = &options.threads;
    if (strcmp(arg, "--allocs") == 0) target = &options.allocs;
    if (strcmp(arg, "--window") == 0) target = &options.window;
    if (strcmp(arg, "--leak-blocks") == 0) target = &options.leak_blocks;
    if (strcmp(arg, "--leak-size") == 0) target = &options.leak_size;
    if (strcmp(arg, "--touch") == 0) target = &options.touch;
    if (strcmp(arg, "--seed") == 0) target = &options.seed;
    if (target == nullptr) Usage("unknown argument");
    if (i + 1 >= argc || !ParseCount(argv[i + 1], target)) Usage("expected a number");
    ++i;
  }
  if (options.threads == 0 || options.threads > 1024) Usage("--threads must be 1..1024");
  if (options.window == 0) Usage("--window must be at least 1");
  if (options.leak_blocks > 0 && options.leak_size == 0) Usage("--leak-size must be at least 1");
  return options;
}

}  // namespace

// The known leak: blocks allocated here are never freed and their addresses are dropped. Outside
// the anonymous namespace so that profilers print a plain name.
__attribute__((noinline)) void LeakKnownBlocks(uint64_t count, uint64_t size) {
  for (uint64_t i = 0; i < count; ++i) {
    void* p = malloc(size);
    if (p == nullptr) abort();
    memset(p, 0x5a, size);
    Escape(p);
  }
}

int main(int argc, char** argv) {
  Options options = ParseArgs(argc, argv);

  LeakKnownBlocks(options.leak_blocks, options.leak_size);

  std::vector<uint64_t> checksums(options.threads, 0);
  std::vector<std::thread> threads;
  threads.reserve(options.threads);
  for (uint64_t t = 0; t < options.threads; ++t) {
    // The first thread takes the remainder so the total is exact.
    uint64_t steps =
        options.allocs / options.threads + (t == 0 ? options.allocs % options.threads : 0);
    threads.emplace_back([&checksums, &options, t, steps] {
      checksums[t] = Churn(steps, options.window, options.touch, options.seed + t);
    });
  }
  for (std::thread& thread : threads) thread.join();

  if (options.summary) {
    uint64_t checksum = 0;
    for (uint64_t c : checksums) checksum += c;
    printf("churn: threads=%" PRIu64 " allocs=%" PRIu64 " window=%" PRIu64 " leaked=%" PRIu64
           "x%" PRIu64 " checksum=%" PRIu64 "\n",
           options.threads, options.allocs, options.window, options.leak_blocks, options.leak_size,
           checksum);
  }
  return 0;
}
