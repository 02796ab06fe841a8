// How old a site's live memory is at a dump: the bytes-weighted median and the oldest age of its
// live sampled allocations, and the estimated bytes at least each of format::kAgeThresholdsS old
// (dump format version 2; docs/dump-format.md). One dump tells a leak from churn with it: a
// leak's bytes are as old as the leak, a working set's are younger than its turnover.
#pragma once

#include <cstdint>

#include "dump.h"

namespace leakscope::analyzer {

struct SiteAges {
  // False when the dump has no ages (format version 1) or nothing sampled is live at the site:
  // the outputs then print null / nothing rather than an age of 0.
  bool known = false;
  uint32_t median_s = 0;
  uint32_t oldest_s = 0;
  uint64_t older_than_bytes[format::kAgeThresholdCount] = {};
  // The estimated live bytes the median was taken over. A site merged from several recorded
  // stacks (the same symbolized stack, or the same site in several processes) keeps the median
  // of the part holding the most bytes: medians do not add up, and the part that dominates the
  // bytes is the one the reader looks at. Oldest and older_than are exact under merging.
  uint64_t median_weight_bytes = 0;

  // A dump site's ages (unknown for version 1 or nothing live).
  static SiteAges Of(const SiteInfo& site);
  // Merges another part of the same site into this one.
  void Merge(const SiteAges& other);
};

}  // namespace leakscope::analyzer
