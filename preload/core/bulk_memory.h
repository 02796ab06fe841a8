// SPDX-License-Identifier: Apache-2.0
// Memory for the recorder's own large, short-lived buffers (a dump's write buffer, its per-site
// scratch tables), taken from mmap rather than malloc once a buffer is big.
//
// Why: glibc raises its mmap threshold to the size of every mmap-served block that is freed (up
// to 32 MiB; mallopt(M_MMAP_THRESHOLD) turns this off). A 1 MiB buffer the recorder mallocs and
// frees at each dump would make the program's own 1 MiB blocks come from the heap from then on:
// its fragmentation, its RSS and what the dump's memory picture says would change because we
// watched. Small buffers stay with malloc, which serves them from the heap below any threshold.
#pragma once

#include <stdlib.h>  // abort
#include <sys/mman.h>

#include <cstddef>
#include <functional>
#include <new>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace leakscope::recorder {

// Below glibc's least mmap threshold (128 KiB, which the dynamic one never goes under).
inline constexpr size_t kBulkBytes = 64 << 10;

// n bytes, from mmap when n >= kBulkBytes; nullptr when refused. Give back with FreeBulk(p, n).
// Small ones come from operator new, as the recorder's other containers do (the malloc family is
// the hooks' to call).
inline void* AllocateBulk(size_t n) {
  if (n < kBulkBytes) return ::operator new(n, std::nothrow);
  void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

inline void FreeBulk(void* p, size_t n) {
  if (p == nullptr) return;
  if (n < kBulkBytes) {
    ::operator delete(p);
  } else {
    munmap(p, n);
  }
}

// An allocator for the standard containers on the dumper's side. The recorder is built without
// exceptions: a refused mapping ends the process as a failed operator new would.
template <typename T>
struct BulkAllocator {
  using value_type = T;
  BulkAllocator() = default;
  template <typename U>
  BulkAllocator(const BulkAllocator<U>&) {}

  T* allocate(size_t count) {
    void* p = AllocateBulk(count * sizeof(T));
    if (p == nullptr) abort();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t count) { FreeBulk(p, count * sizeof(T)); }

  template <typename U>
  bool operator==(const BulkAllocator<U>&) const {
    return true;
  }
};

template <typename T>
using BulkVector = std::vector<T, BulkAllocator<T>>;
template <typename K, typename V>
using BulkMap =
    std::unordered_map<K, V, std::hash<K>, std::equal_to<K>, BulkAllocator<std::pair<const K, V>>>;
template <typename K>
using BulkSet = std::unordered_set<K, std::hash<K>, std::equal_to<K>, BulkAllocator<K>>;
using BulkString = std::basic_string<char, std::char_traits<char>, BulkAllocator<char>>;

}  // namespace leakscope::recorder
