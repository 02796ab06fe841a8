// SPDX-License-Identifier: Apache-2.0
#include "output/units.h"

#include <cstdlib>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace leakscope::analyzer {

std::string HumanBytes(uint64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  int decimals = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return absl::StrFormat("%.*f %s", decimals, value, kUnits[unit]);
}

std::string HumanBytesSigned(int64_t bytes) {
  if (bytes == 0) return "0 B";
  uint64_t magnitude = bytes < 0 ? 0 - static_cast<uint64_t>(bytes) : static_cast<uint64_t>(bytes);
  return absl::StrCat(bytes < 0 ? "-" : "+", HumanBytes(magnitude));
}

std::string Thousands(uint64_t value) {
  std::string digits = absl::StrCat(value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string ThousandsSigned(int64_t value) {
  if (value == 0) return "0";
  uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  return absl::StrCat(value < 0 ? "-" : "+", Thousands(magnitude));
}

std::string Counted(uint64_t count, std::string_view noun) {
  return absl::StrCat(Thousands(count), " ", absl::string_view(noun.data(), noun.size()),
                      count == 1 ? "" : "s");
}

std::string FormatUnixTime(int64_t unix_ns) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixNanos(unix_ns),
                          absl::UTCTimeZone());
}

std::string HumanDuration(int64_t ns) {
  double seconds = static_cast<double>(ns) / 1e9;
  if (std::abs(seconds) < 120) return absl::StrFormat("%.1f s", seconds);
  if (std::abs(seconds) < 7200) return absl::StrFormat("%.1f min", seconds / 60);
  return absl::StrFormat("%.1f h", seconds / 3600);
}

std::string HumanAge(uint64_t seconds) {
  struct Unit {
    uint64_t seconds;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  for (size_t i = 0; i + 1 < std::size(kUnits); ++i) {
    if (seconds < kUnits[i].seconds) continue;
    std::string out = absl::StrCat(seconds / kUnits[i].seconds, kUnits[i].name);
    uint64_t rest = seconds % kUnits[i].seconds / kUnits[i + 1].seconds;
    if (rest != 0) absl::StrAppend(&out, rest, kUnits[i + 1].name);
    return out;
  }
  return absl::StrCat(seconds, "s");
}

}  // namespace leakscope::analyzer
