// SPDX-License-Identifier: Apache-2.0
#include "symbolize/perf_map.h"

#include <cstdio>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace leakscope::analyzer {

bool PerfMap::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<absl::string_view> parts =
        absl::StrSplit(line, absl::MaxSplits(' ', 2), absl::SkipEmpty());
    if (parts.size() != 3) continue;
    absl::string_view start_text = parts[0];
    absl::string_view size_text = parts[1];
    absl::ConsumePrefix(&start_text, "0x");
    absl::ConsumePrefix(&size_text, "0x");
    uint64_t start = 0, size = 0;
    if (!absl::SimpleHexAtoi(start_text, &start) || !absl::SimpleHexAtoi(size_text, &size) ||
        size == 0 || start + size < start) {
      continue;
    }
    Insert(start, start + size, std::string(parts[2]));
  }
  return true;
}

void PerfMap::Insert(uint64_t start, uint64_t end, std::string name) {
  // Trim or drop the entries the new one overlaps.
  auto it = entries_.lower_bound(start);
  if (it != entries_.begin()) {
    auto prev = std::prev(it);
    if (prev->second.end > start) {
      if (prev->second.end > end) entries_.emplace(end, Entry{prev->second.end, prev->second.name});
      prev->second.end = start;
      if (prev->first == prev->second.end) entries_.erase(prev);
    }
  }
  it = entries_.lower_bound(start);
  while (it != entries_.end() && it->first < end) {
    if (it->second.end > end) {
      Entry rest{it->second.end, std::move(it->second.name)};
      entries_.erase(it);
      entries_.emplace(end, std::move(rest));
      break;
    }
    it = entries_.erase(it);
  }
  entries_.emplace(start, Entry{end, std::move(name)});
}

const std::string* PerfMap::Find(uint64_t pc) const {
  auto it = entries_.upper_bound(pc);
  if (it == entries_.begin()) return nullptr;
  --it;
  return pc < it->second.end ? &it->second.name : nullptr;
}

}  // namespace leakscope::analyzer
