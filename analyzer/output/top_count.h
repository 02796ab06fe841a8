// SPDX-License-Identifier: Apache-2.0
// The --top limit of the ranked lists every format prints.
#pragma once

#include <algorithm>
#include <cstddef>

namespace leakscope::analyzer {

// How many of `available` ranked entries a --top limit shows: `top`, 0 meaning all.
inline size_t TopCount(size_t top, size_t available) {
  return top == 0 ? available : std::min(top, available);
}

}  // namespace leakscope::analyzer
