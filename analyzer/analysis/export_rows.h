// SPDX-License-Identifier: Apache-2.0
// What `leakscope export` writes, computed: for every dump of every process, the live bytes and
// count of each symbolized stack. Dumps are read one at a time, grouped and ordered as trend
// reads them (by pid and recorder instance, each in seq order), so memory stays that of one dump
// plus the process's site cache, however many dumps are exported.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dump.h"
#include "symbolize/symbolizer.h"

namespace leakscope::analyzer {

// The executor a process was, from its command line: the value of `--executor-id` (Spark's
// executor backends on YARN and Kubernetes take it so), or nothing. Dumps carry the command
// line but not the environment, so SPARK_EXECUTOR_ID cannot be used.
std::optional<std::string> ExecutorLabel(const ProcessInfo& process);

struct ExportSite {
  uint32_t stack = 0;             // in the symbolizer's tables
  uint64_t key = 0;               // SiteKey of the stack (site_key.h)
  uint64_t live_bytes = 0;        // estimated, summed over the dump's sites with this stack
  uint64_t live_count = 0;        // likewise
  bool first_in_process = false;  // the first row of this stack in its process
};

struct ExportDump {
  const ProcessInfo* process = nullptr;  // of the dump; lives for the callback only
  std::optional<std::string> executor;
  std::vector<ExportSite> sites;  // in the dump's order of first appearance
};

struct ExportSummary {
  size_t dumps = 0;                 // read and passed to the callback
  std::vector<std::string> errors;  // one line per file that could not be used
};

// Reads `files` (already expanded) and calls `on_dump` for each dump read, in the order above.
// `progress(done, total)` after each file (may be empty). A second file with the same process
// and seq as one read is skipped with an error, as trend does.
ExportSummary ExportDumps(const std::vector<std::string>& files, Symbolizer* symbolizer,
                          const std::function<void(const ExportDump&)>& on_dump,
                          const std::function<void(size_t, size_t)>& progress);

}  // namespace leakscope::analyzer
