// SPDX-License-Identifier: Apache-2.0
// The malloc family. Each allocation hook decides first (hot_path.h): unsampled, it tail-calls
// the real function; sampled, it calls it and records the result. Frees forget the pointer
// before the real free. Pointers from the bootstrap buffer never reach glibc.
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "bootstrap_alloc.h"
#include "export.h"
#include "hot_path.h"
#include "real_functions.h"

using namespace leakscope::recorder;

namespace {

// The slow paths of the hottest hooks, out of line, so that the hooks themselves call nothing
// but tail calls and need no stack frame (hot_path.h). Each ends in a tail call to
// SampleAllocation (recorder.h); they live in the hooks' section in case a compiler does not
// make it one, and they are then the outermost frame of ours (IsHookFrame in unwinder.cc).
#define LEAKSCOPE_SLOW_PATH __attribute__((noinline, cold)) LEAKSCOPE_HOOK_SECTION

LEAKSCOPE_SLOW_PATH void* SampledMalloc(size_t size) {
  return SampleAllocation(real::malloc(size), size);
}

LEAKSCOPE_SLOW_PATH void* SampledCalloc(size_t count, size_t size, size_t total) {
  return SampleAllocation(real::calloc(count, size), total);
}

LEAKSCOPE_SLOW_PATH void* SampledAlignedAlloc(size_t alignment, size_t size) {
  return SampleAllocation(real::aligned_alloc(alignment, size), size);
}

LEAKSCOPE_SLOW_PATH void* SampledMemalign(size_t alignment, size_t size) {
  return SampleAllocation(real::memalign(alignment, size), size);
}

LEAKSCOPE_SLOW_PATH void FreeMaybeSampled(void* p) {
  ForgetIfSampled(p);
  real::free(p);
}

}  // namespace

LEAKSCOPE_EXPORT void* malloc(size_t size) {
  if (__builtin_expect(!ShouldSample(size), 1)) return real::malloc(size);
  return SampledMalloc(size);
}

LEAKSCOPE_EXPORT void free(void* p) {
  if (bootstrap::Owns(p)) return;
  if (MayBeSampled(p)) return FreeMaybeSampled(p);
  real::free(p);
}

LEAKSCOPE_EXPORT void* calloc(size_t count, size_t size) {
  size_t total;
  // On overflow glibc returns NULL with ENOMEM; nothing to record.
  if (__builtin_mul_overflow(count, size, &total) || !ShouldSample(total)) {
    return real::calloc(count, size);
  }
  return SampledCalloc(count, size, total);
}

LEAKSCOPE_EXPORT void* realloc(void* old, size_t size) {
  if (old == nullptr) return malloc(size);
  if (bootstrap::Owns(old)) {
    void* p = malloc(size);
    if (p != nullptr) {
      size_t old_size = bootstrap::SizeOf(old);
      memcpy(p, old, old_size < size ? old_size : size);
    }
    return p;
  }
  LiveTable::Entry entry;
  bool was_sampled =
      g_recorder.live.MaybeContains(reinterpret_cast<uintptr_t>(old)) && TakeSampled(old, &entry);
  void* p = real::realloc(old, size);
  // realloc(p, 0) frees p and returns NULL; any other NULL means p is still there.
  if (was_sampled && p == nullptr && size != 0) Reinsert(old, entry);
  if (p != nullptr && ShouldSample(size)) return SampleAllocation(p, size);
  return p;
}

LEAKSCOPE_EXPORT void* reallocarray(void* old, size_t count, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  return realloc(old, total);
}

LEAKSCOPE_EXPORT int posix_memalign(void** out, size_t alignment, size_t size) {
  int rc = real::posix_memalign(out, alignment, size);
  if (rc == 0 && ShouldSample(size)) SampleAllocation(*out, size);
  return rc;
}

LEAKSCOPE_EXPORT void* aligned_alloc(size_t alignment, size_t size) {
  if (!ShouldSample(size)) return real::aligned_alloc(alignment, size);
  return SampledAlignedAlloc(alignment, size);
}

LEAKSCOPE_EXPORT void* memalign(size_t alignment, size_t size) {
  if (!ShouldSample(size)) return real::memalign(alignment, size);
  return SampledMemalign(alignment, size);
}

LEAKSCOPE_EXPORT void* valloc(size_t size) {
  if (!ShouldSample(size)) return real::valloc(size);
  return SampleAllocation(real::valloc(size), size);
}

LEAKSCOPE_EXPORT void* pvalloc(size_t size) {
  // pvalloc rounds the request up to whole pages (at least one): that is what the block holds.
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t rounded = size == 0 ? page : (size + page - 1) & ~(page - 1);
  if (!ShouldSample(rounded)) return real::pvalloc(size);
  return SampleAllocation(real::pvalloc(size), rounded);
}

LEAKSCOPE_EXPORT size_t malloc_usable_size(void* p) {
  if (bootstrap::Owns(p)) return bootstrap::SizeOf(p);
  return real::malloc_usable_size(p);
}
