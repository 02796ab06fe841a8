// SPDX-License-Identifier: Apache-2.0
// malloc_pairs: times N malloc+free pairs of one size in a tight loop, from a chosen stack depth,
// and prints the nanoseconds per pair. scripts/bench runs it plain and under libleakscope.so
// (issue 5, part 3): with LEAKSCOPE_SAMPLE_BYTES=1G nothing is sampled, so the difference is
// what every unsampled malloc+free pays; with LEAKSCOPE_SAMPLE_BYTES=1 every allocation is
// sampled, so the difference is one sampled allocation (unwind, intern, insert) and its free.
//
// A malloc+free pair of one size is the cheapest thing an allocator does (glibc serves it from
// the thread cache), so the recorder's share is as large here as it can be anywhere.
//
// Usage: malloc_pairs [--pairs N] [--batches B] [--size BYTES] [--depth FRAMES]
//   --depth  frames on the stack at the malloc call, counting main and libc's start-up frames
//            (recursion makes up the rest; at least kBaseFrames)
// Prints one line: "ns_per_pair=MEDIAN min=MIN max=MAX" over the B batches of N pairs each.

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "parse_count.h"

namespace {

// Frames below the recursion when the malloc is called: Loop, Run, main,
// __libc_start_call_main, __libc_start_main, _start (checked against a recorded stack).
constexpr uint64_t kBaseFrames = 6;

struct Options {
  uint64_t pairs = 10'000'000;
  uint64_t batches = 5;
  uint64_t size = 32;
  uint64_t depth = kBaseFrames;
};

// Keeps GCC from deleting the malloc/free pair as unused.
inline void Escape(void* p) { asm volatile("" : : "r"(p) : "memory"); }

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000ll + ts.tv_nsec;
}

__attribute__((noinline)) void Loop(const Options& options, std::vector<double>* ns_per_pair) {
  for (uint64_t b = 0; b < options.batches; ++b) {
    int64_t start = NowNs();
    for (uint64_t i = 0; i < options.pairs; ++i) {
      void* p = malloc(options.size);
      Escape(p);
      free(p);
    }
    (*ns_per_pair)[b] = static_cast<double>(NowNs() - start) / static_cast<double>(options.pairs);
  }
}

// `levels` more frames, then the loop. The barrier after the call prevents a tail call, which
// would reuse the frame.
__attribute__((noinline)) void Recurse(uint64_t levels, const Options& options,
                                       std::vector<double>* ns_per_pair) {
  if (levels == 0) {
    Loop(options, ns_per_pair);
  } else {
    Recurse(levels - 1, options, ns_per_pair);
  }
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void Run(const Options& options, std::vector<double>* ns_per_pair) {
  uint64_t levels = options.depth - kBaseFrames;
  if (levels == 0) {
    Loop(options, ns_per_pair);
  } else {
    Recurse(levels - 1, options, ns_per_pair);
  }
  asm volatile("" ::: "memory");
}

using leakscope::bench::ParseCount;

[[noreturn]] void Usage(const char* why) {
  fprintf(stderr,
          "malloc_pairs: %s\nusage: malloc_pairs [--pairs N] [--batches B] [--size BYTES] "
          "[--depth FRAMES]\n",
          why);
  exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; i += 2) {
    uint64_t* target = nullptr;
    if (strcmp(argv[i], "--pairs") == 0) target = &options.pairs;
    if (strcmp(argv[i], "--batches") == 0) target = &options.batches;
    if (strcmp(argv[i], "--size") == 0) target = &options.size;
    if (strcmp(argv[i], "--depth") == 0) target = &options.depth;
    if (target == nullptr) Usage("unknown argument");
    if (i + 1 >= argc || !ParseCount(argv[i + 1], target)) Usage("expected a number");
  }
  if (options.pairs == 0 || options.batches == 0) Usage("--pairs and --batches must be >= 1");
  if (options.depth < kBaseFrames || options.depth > 1000) Usage("--depth must be 6..1000");

  std::vector<double> ns_per_pair(options.batches);
  Run(options, &ns_per_pair);
  std::vector<double> sorted = ns_per_pair;
  std::sort(sorted.begin(), sorted.end());
  size_t n = sorted.size();
  double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  printf("ns_per_pair=%.3f min=%.3f max=%.3f\n", median, sorted.front(), sorted.back());
  return 0;
}
