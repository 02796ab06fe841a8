// SPDX-License-Identifier: Apache-2.0
// JIT symbol maps in the perf format (/tmp/perf-<pid>.map): "START SIZE NAME" per line, hex
// START and SIZE, written by JVM agents and other JITs.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace leakscope::analyzer {

class PerfMap {
 public:
  // Loads `path`; returns false when it cannot be read. Malformed lines are skipped. A later
  // line overrides earlier ones it overlaps (code cache space is reused).
  bool Load(const std::string& path);
  // The name of the code containing `pc`, or null.
  const std::string* Find(uint64_t pc) const;
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    uint64_t end;
    std::string name;
  };
  void Insert(uint64_t start, uint64_t end, std::string name);
  std::map<uint64_t, Entry> entries_;  // by start; non-overlapping
};

}  // namespace leakscope::analyzer
