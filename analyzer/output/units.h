// SPDX-License-Identifier: Apache-2.0
// Number formatting for text output.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace leakscope::analyzer {

// "512 B", "1.5 KiB", "12.3 MiB", "1.02 GiB": three significant digits, binary units.
std::string HumanBytes(uint64_t bytes);
// Signed: "+1.5 MiB", "-512 B", "0 B".
std::string HumanBytesSigned(int64_t bytes);
// "1,234,567".
std::string Thousands(uint64_t value);
std::string ThousandsSigned(int64_t value);
// "1 allocation", "1,234 allocations": the count with `noun`, plural unless it is 1.
std::string Counted(uint64_t count, std::string_view noun);
// "2024-05-01 12:34:56 UTC".
std::string FormatUnixTime(int64_t unix_ns);
// "42 s", "3.5 min", "2.1 h".
std::string HumanDuration(int64_t ns);
// An age in two units at most, the second dropped when zero: "0s", "42s", "3m10s", "2h", "2h5m",
// "3d4h".
std::string HumanAge(uint64_t seconds);

}  // namespace leakscope::analyzer
