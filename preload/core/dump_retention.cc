// SPDX-License-Identifier: Apache-2.0
#include "dump_retention.h"

#include <algorithm>

namespace leakscope::recorder {

bool DumpRetention::LeastNeeded(uint64_t* seq) const {
  if (kept_.size() < 2) return false;
  const uint64_t first = kept_.front();
  // The least "round" offset goes first: odd ones, then those 2 mod 4, then 4 mod 8... so what
  // stays is every 2^k-th dump of the series, plus the newest. Ties: the earliest, so that while
  // the grid coarsens from 2^k to 2^(k+1) the old part is coarse and the recent part fine.
  size_t best = 0;
  int best_zeros = 64;
  for (size_t i = 1; i < kept_.size(); ++i) {
    int zeros = __builtin_ctzll(kept_[i] - first);  // offsets are > 0: seqs are distinct
    if (zeros < best_zeros) {
      best = i;
      best_zeros = zeros;
    }
  }
  *seq = kept_[best];
  return true;
}

void DumpRetention::Published(uint64_t seq) {
  // Seqs only grow within one image; keep the vector sorted whatever happens.
  kept_.insert(std::upper_bound(kept_.begin(), kept_.end(), seq), seq);
}

void DumpRetention::Removed(uint64_t seq) {
  auto it = std::lower_bound(kept_.begin(), kept_.end(), seq);
  if (it != kept_.end() && *it == seq) kept_.erase(it);
}

}  // namespace leakscope::recorder
