// SPDX-License-Identifier: Apache-2.0
#include "bootstrap_alloc.h"

#include <errno.h>

#include <atomic>
#include <cstring>

#include "core/raw_log.h"

namespace leakscope::recorder::bootstrap {

alignas(4096) char g_buffer[kBufferSize];

namespace {
std::atomic<size_t> g_used{0};
constexpr size_t kHeader = 16;  // the block's size, kept in front of it
}  // namespace

void* Allocate(size_t size, size_t alignment) {
  if (alignment < 16) alignment = 16;
  size_t used = g_used.load(std::memory_order_relaxed);
  for (;;) {
    size_t start = (used + kHeader + alignment - 1) & ~(alignment - 1);
    if (size > kBufferSize || start + size > kBufferSize) {
      RawLog(LogLevel::kWarn, "bootstrap buffer exhausted (%zu bytes asked)", size);
      errno = ENOMEM;
      return nullptr;
    }
    if (g_used.compare_exchange_weak(used, start + size, std::memory_order_relaxed)) {
      std::memcpy(g_buffer + start - kHeader, &size, sizeof(size));
      return g_buffer + start;
    }
  }
}

size_t SizeOf(const void* p) {
  size_t size;
  std::memcpy(&size, static_cast<const char*>(p) - kHeader, sizeof(size));
  return size;
}

}  // namespace leakscope::recorder::bootstrap
