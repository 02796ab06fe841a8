// SPDX-License-Identifier: Apache-2.0
#include "stream_allocator.h"

#include <cstddef>

#include "recorder.h"

namespace leakscope::recorder {
namespace {

voidpf StreamAlloc(voidpf opaque, uInt items, uInt size) {
  size_t bytes;
  if (__builtin_mul_overflow(static_cast<size_t>(items), static_cast<size_t>(size), &bytes)) {
    return Z_NULL;
  }
  return AllocateForStream(opaque, bytes);
}

void StreamFree(voidpf opaque, voidpf address) { FreeForStream(opaque, address); }

}  // namespace

void InstallStreamAllocator(z_streamp stream) {
  stream->zalloc = StreamAlloc;
  stream->zfree = StreamFree;
  stream->opaque = stream;
}

void RemoveStreamAllocator(z_streamp stream) {
  stream->zalloc = Z_NULL;
  stream->zfree = Z_NULL;
  stream->opaque = Z_NULL;
}

bool HasStreamAllocator(z_streamp stream) {
  return stream->zalloc == StreamAlloc && stream->zfree == StreamFree &&
         stream->opaque == static_cast<voidpf>(stream);
}

}  // namespace leakscope::recorder
