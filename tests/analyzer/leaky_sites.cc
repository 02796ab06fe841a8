// Leaks at known sites through several allocation paths and prints the truth, one line per
// site: "LEAK <function> <line> <bytes> <count>". Run under the preload with
// LEAKSCOPE_SAMPLE_BYTES=1, the report must give each site's exact live bytes and count and
// name the function, file and line (see run_leaky_sites.cmake).
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

// Keeps every leaked pointer reachable from a volatile global so the compiler cannot elide
// the allocations (C++ allows dropping an unused new).
void* volatile g_keep[64];
int g_kept = 0;
void Keep(void* p) { g_keep[g_kept++ % 64] = p; }

struct Truth {
  const char* function;
  int line;
  size_t bytes;
  size_t count;
};
std::vector<Truth> g_truth;

// Notes `bytes` leaked at `line` of `function` and returns `result`, so that the allocation and
// its __LINE__ share one statement (and one line, whatever the formatter does).
template <typename V>
V Record(V result, const char* function, int line, size_t bytes) {
  for (Truth& t : g_truth) {
    if (t.line == line) {
      t.bytes += bytes;
      ++t.count;
      return result;
    }
  }
  g_truth.push_back(Truth{function, line, bytes, 1});
  return result;
}

template <typename T>
__attribute__((noinline)) T* LeakArray(size_t n) {
  T* p = Record(new T[n], "LeakArray<int>", __LINE__, n * sizeof(T));
  Keep(p);
  return p;
}

__attribute__((noinline)) void GrowBuffer() {
  void* p = malloc(16);
  for (size_t size = 32; size < 4096; size *= 2) p = realloc(p, size);
  // Each realloc frees the previous block: only the last one stays live.
  p = Record(realloc(p, 4096), "GrowBuffer", __LINE__, 4096);
  Keep(p);
}

__attribute__((noinline)) void AlignedLeak() {
  void* p = nullptr;
  Record(posix_memalign(&p, 64, 1000), "AlignedLeak", __LINE__, 1000);
  Keep(p);
}

__attribute__((noinline)) void ZeroedLeak() {
  void* p = Record(calloc(10, 100), "ZeroedLeak", __LINE__, 1000);
  Keep(p);
}

// Allocates and frees: must not appear as live.
__attribute__((noinline)) void NoLeak() {
  for (int i = 0; i < 100; ++i) {
    void* p = malloc(100 + i);
    Keep(p);
    free(p);
  }
}

}  // namespace

int main() {
  for (int i = 0; i < 5; ++i) LeakArray<int>(1000);
  for (int i = 0; i < 3; ++i) GrowBuffer();
  for (int i = 0; i < 4; ++i) AlignedLeak();
  for (int i = 0; i < 6; ++i) ZeroedLeak();
  NoLeak();
  for (const Truth& t : g_truth) {
    printf("LEAK %s %d %zu %zu\n", t.function, t.line, t.bytes, t.count);
  }
  return 0;
}
// SPDX-License-Identifier: Apache-2.0
