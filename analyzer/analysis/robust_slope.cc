// SPDX-License-Identifier: Apache-2.0
#include "analysis/robust_slope.h"

#include <algorithm>

namespace leakscope::analyzer {

double TheilSenSlope(std::span<const double> x, std::span<const double> y) {
  size_t n = std::min(x.size(), y.size());
  if (n < 2) return 0;
  bool constant = std::all_of(y.begin(), y.begin() + n, [&](double v) { return v == y[0]; });
  if (constant) return 0;
  thread_local std::vector<double> slopes;
  slopes.clear();
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      if (x[j] > x[i]) slopes.push_back((y[j] - y[i]) / (x[j] - x[i]));
    }
  }
  if (slopes.empty()) return 0;
  size_t mid = slopes.size() / 2;
  std::nth_element(slopes.begin(), slopes.begin() + mid, slopes.end());
  double upper = slopes[mid];
  if (slopes.size() % 2 == 1) return upper;
  double lower = *std::max_element(slopes.begin(), slopes.begin() + mid);
  return (lower + upper) / 2;
}

}  // namespace leakscope::analyzer
