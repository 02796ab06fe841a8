// SPDX-License-Identifier: Apache-2.0
#include "frame_shape_cache.h"

#include "core/region.h"  // NonZeroPageBytes
#include "module_table.h"

namespace leakscope::recorder {

FrameShapeCache::Answer FrameShapeCache::Fill(uintptr_t pc, std::atomic<uint64_t>* entry,
                                              FrameShape* out) {
  misses_.fetch_add(1, std::memory_order_relaxed);
  // One module lookup answers both questions: where the unwind tables are, and whether pc is in
  // a module at all. A pc in no module (JIT code: every Java sample's walk ends on one) is not
  // cached: a library may be mapped there later, and only dlclose clears the cache.
  // The lookup's scope covers every read of the module's unwind tables: a dlclose waits for it.
  ModuleLookup lookup;
  const uint8_t* eh_frame_hdr = nullptr;
  ModuleLookup::Result found = lookup.Find(pc, &eh_frame_hdr);
  if (found == ModuleLookup::Result::kNoModule) return Answer::kNoModule;
  FrameShape shape;
  uint64_t page = pc >> kIndexBits;
  bool cacheable = page != 0 && page <= kPageMask;
  auto cache_no_step = [&](uint64_t code, Answer answer) {
    if (cacheable) entry->store(page | code << kFpShift, std::memory_order_relaxed);
    return answer;
  };
  if (found == ModuleLookup::Result::kNoEhFrameHdr ||
      !FindFrameShapeInEhFrameHdr(eh_frame_hdr, pc, &shape)) {
    return cache_no_step(kUnsupportedCode, Answer::kUnsupported);
  }
  if (shape.outermost) return cache_no_step(kOutermostCode, Answer::kOutermost);
  if (shape.signal_frame) return cache_no_step(kSignalFrameCode, Answer::kSignalFrame);
  *out = shape;
  uint64_t word = cacheable ? Encode(page, shape) : 0;
  if (word != 0) entry->store(word, std::memory_order_relaxed);
  return Answer::kStep;
}

uint64_t FrameShapeCache::ResidentBytes() const {
  return NonZeroPageBytes(entries_, 1u << kIndexBits);
}

void FrameShapeCache::Clear() {
  for (auto& entry : entries_) entry.store(0, std::memory_order_relaxed);
}

}  // namespace leakscope::recorder
