// SPDX-License-Identifier: Apache-2.0
// The spellings of option values, one parser each, shared by the recorder (LEAKSCOPE_* variables,
// preload/core/options.cc) and the analyzer (which checks the values it writes into a Spark
// configuration for the recorder): a value one accepts, the other accepts too.
//
// No allocation and no locale: the recorder parses its environment before main.
#pragma once

#include <cstdint>

namespace leakscope {

// 1/0, true/false, on/off, yes/no, in any case.
bool ParseBool(const char* text, bool* out);
// "4096", "64K", "64KB", "64KiB", "1M", "2g": binary multiples.
bool ParseSize(const char* text, uint64_t* out);
// "0", "500ms", "30s", "5m", "2min", "1h"; a bare number is seconds.
bool ParseDuration(const char* text, uint64_t* out_ns);

// Each returns false on a bad value (empty, a sign, a fraction, spaces, an unknown unit, or more
// than 64 bits) and leaves *out untouched.

// Bounds the recorder enforces on its settings, and the analyzer on the values it passes to it
// (`run`, `spark-conf`): LEAKSCOPE_SAMPLE_BYTES is 1..kMaxSampleBytes; LEAKSCOPE_INTERVAL is 0
// (no periodic dumps) or at least kMinIntervalNs, since a dump takes milliseconds of the
// dumper thread and a dump directory fills quickly.
inline constexpr uint64_t kMaxSampleBytes = uint64_t{1} << 40;
inline constexpr uint64_t kMinIntervalNs = 100'000'000;  // 100ms

// LEAKSCOPE_PROCESS and `trend --process`: whether `name` is one of the comma-separated entries
// of `list` (exact, case-sensitive; spaces around entries and empty entries are ignored).
bool NameInList(const char* list, const char* name);

}  // namespace leakscope
