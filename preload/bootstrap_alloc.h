// SPDX-License-Identifier: Apache-2.0
// A bump allocator over a static buffer, for the few allocations dlsym makes while we look up the
// real malloc. Its blocks are never reused; free() of one is ignored, realloc() copies it out.
#pragma once

#include <cstddef>
#include <cstdint>

namespace leakscope::recorder::bootstrap {

void* Allocate(size_t size, size_t alignment = 16);
// Zeroed by construction: the buffer is static and never reused.
inline void* AllocateZeroed(size_t n, size_t m) {
  size_t total;
  if (__builtin_mul_overflow(n, m, &total)) return nullptr;
  return Allocate(total);
}

// Hidden, so Owns() is one subtraction from a link-time address rather than a load of it through
// the GOT: free() pays for it on every call.
extern char g_buffer[] __attribute__((visibility("hidden")));
inline constexpr size_t kBufferSize = 256 << 10;

inline bool Owns(const void* p) {
  return reinterpret_cast<uintptr_t>(p) - reinterpret_cast<uintptr_t>(g_buffer) < kBufferSize;
}

// The size requested for a block this allocator returned.
size_t SizeOf(const void* p);

}  // namespace leakscope::recorder::bootstrap
