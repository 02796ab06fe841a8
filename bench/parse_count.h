// SPDX-License-Identifier: Apache-2.0
// Command-line numbers for the benchmark programs: a plain decimal count, nothing else.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdlib>

namespace leakscope::bench {

// False (and *out untouched) unless `text` is all decimal digits and fits in 64 bits.
inline bool ParseCount(const char* text, uint64_t* out) {
  if (text == nullptr || *text < '0' || *text > '9') return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long value = strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = value;
  return true;
}

}  // namespace leakscope::bench
