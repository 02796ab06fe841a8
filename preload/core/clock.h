// SPDX-License-Identifier: Apache-2.0
// The recorder's reads of the time, in nanoseconds: one vDSO call each, never from a hook's fast
// path (the hooks read the coarse recorder clock the dumper ticks: recorder.h).
#pragma once

#include <time.h>

#include <cstdint>

namespace leakscope::recorder {

inline int64_t ClockNs(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec * 1'000'000'000ll + ts.tv_nsec;
}

// For intervals and deadlines: never goes back.
inline int64_t MonotonicNs() { return ClockNs(CLOCK_MONOTONIC); }

// For the dumps' wall-clock times.
inline int64_t UnixNs() { return ClockNs(CLOCK_REALTIME); }

}  // namespace leakscope::recorder
