#include "age_summary.h"

#include <algorithm>

namespace leakscope::recorder {

void SortAgedSamples(BulkVector<AgedSample>* samples) {
  std::sort(samples->begin(), samples->end(), [](const AgedSample& a, const AgedSample& b) {
    return a.stack_id != b.stack_id ? a.stack_id < b.stack_id : a.age_s < b.age_s;
  });
}

std::span<const AgedSample> SamplesOfStack(std::span<const AgedSample> sorted, uint32_t stack_id) {
  auto first =
      std::lower_bound(sorted.begin(), sorted.end(), stack_id,
                       [](const AgedSample& sample, uint32_t id) { return sample.stack_id < id; });
  auto last =
      std::upper_bound(first, sorted.end(), stack_id,
                       [](uint32_t id, const AgedSample& sample) { return id < sample.stack_id; });
  return {first, last};
}

format::SiteAgesFixed SummarizeAges(std::span<const AgedSample> run) {
  format::SiteAgesFixed ages{};
  if (run.empty()) return ages;
  uint64_t total = 0;
  for (const AgedSample& sample : run) {
    total += sample.est_bytes;
    for (uint32_t t = 0; t < format::kAgeThresholdCount; ++t) {
      if (sample.age_s >= format::kAgeThresholdsS[t])
        ages.older_than_est_bytes[t] += sample.est_bytes;
    }
  }
  ages.oldest_age_s = run.back().age_s;
  // Weights of zero (zero-byte blocks) leave the median at the first age that reaches half of
  // nothing: the youngest.
  uint64_t seen = 0;
  for (const AgedSample& sample : run) {
    seen += sample.est_bytes;
    if (2 * seen >= total) {
      ages.median_age_s = sample.age_s;
      break;
    }
  }
  return ages;
}

}  // namespace leakscope::recorder
