#include "analysis/site_ages.h"

#include <algorithm>

namespace leakscope::analyzer {

SiteAges SiteAges::Of(const SiteInfo& site) {
  SiteAges ages;
  if (!site.ages_known || site.live_count() == 0) return ages;
  ages.known = true;
  ages.median_s = site.ages.median_age_s;
  ages.oldest_s = site.ages.oldest_age_s;
  for (uint32_t t = 0; t < format::kAgeThresholdCount; ++t) {
    ages.older_than_bytes[t] = site.ages.older_than_est_bytes[t];
  }
  ages.median_weight_bytes = site.live_est_bytes();
  return ages;
}

void SiteAges::Merge(const SiteAges& other) {
  if (!other.known) return;
  if (!known) {
    *this = other;
    return;
  }
  if (other.median_weight_bytes > median_weight_bytes) {
    median_s = other.median_s;
    median_weight_bytes = other.median_weight_bytes;
  }
  oldest_s = std::max(oldest_s, other.oldest_s);
  for (uint32_t t = 0; t < format::kAgeThresholdCount; ++t) {
    older_than_bytes[t] += other.older_than_bytes[t];
  }
}

}  // namespace leakscope::analyzer
