// SPDX-License-Identifier: Apache-2.0
// Theil-Sen slope: the median of the slopes between all pairs of points. Unlike least squares it
// is not pulled by a few outliers (a burst of temporary allocations in one dump), and for a
// step function (a cache filled once) it stays near zero unless the steps continue.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace leakscope::analyzer {

// `x` must be non-decreasing; pairs with equal x are skipped. Returns 0 for fewer than two
// distinct x. O(n^2) time and memory in the number of points: callers keep n small (<= 64).
double TheilSenSlope(std::span<const double> x, std::span<const double> y);

}  // namespace leakscope::analyzer
