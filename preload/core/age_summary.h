// Per-site ages of live sampled allocations, for a dump: the bytes-weighted median, the oldest and
// the estimated bytes older than each of format::kAgeThresholdsS. The dumper collects one
// AgedSample per live entry (a scratch vector on its own thread, bounded by the live table's
// capacity), sorts them once, and summarizes each site's run; exact, where a histogram would
// round every age to a bucket.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "bulk_memory.h"
#include "dump_format.h"

namespace leakscope::recorder {

struct AgedSample {
  uint32_t stack_id;
  uint32_t age_s;
  uint64_t est_bytes;  // what the sample stands for (Sampler::Weigh, or Whole when exact)
};

// The age of a block born at `birth_s` in a dump taken at `now_s` (recorder clock): never
// negative, for a block recorded after the dump read the clock.
inline uint32_t AgeAt(uint32_t now_s, uint32_t birth_s) {
  return now_s > birth_s ? now_s - birth_s : 0;
}

// Orders by stack id, then age, so each site's samples form one run in ascending age.
void SortAgedSamples(BulkVector<AgedSample>* samples);

// The run of `stack_id` in samples sorted by SortAgedSamples (empty when it has none).
std::span<const AgedSample> SamplesOfStack(std::span<const AgedSample> sorted, uint32_t stack_id);

// Summarizes one site's run, ascending by age. The median is the least age a such that the
// samples aged <= a hold at least half the site's bytes (a lower weighted median). All zero for
// an empty run.
format::SiteAgesFixed SummarizeAges(std::span<const AgedSample> run);

}  // namespace leakscope::recorder
