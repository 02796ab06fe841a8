// SPDX-License-Identifier: Apache-2.0
// Every LEAKSCOPE_* environment variable, in one table (options.cc), parsed once at start-up.
// A bad value gets one "leakscope:" warning naming the variable and the default kept.
// The README's table documents them, in the table's order (tests/preload/option_docs_test.cc).
#pragma once

#include <cstddef>
#include <cstdint>

namespace leakscope::recorder {

struct Options {
  bool disable = false;                   // LEAKSCOPE_DISABLE
  uint64_t sample_bytes = 128 << 10;      // LEAKSCOPE_SAMPLE_BYTES; 1 = every allocation
  uint64_t depth = 64;                    // LEAKSCOPE_DEPTH
  uint64_t max_stacks = 65536;            // LEAKSCOPE_MAX_STACKS
  uint64_t max_live = 262144;             // LEAKSCOPE_MAX_LIVE
  uint64_t max_streams = 65536;           // LEAKSCOPE_MAX_STREAMS
  uint64_t interval_ns = 60'000'000'000;  // LEAKSCOPE_INTERVAL; 0 = at exit and on demand only
  const char* dir = nullptr;              // LEAKSCOPE_DIR (points into environ)
  uint64_t max_dumps = 256;               // LEAKSCOPE_MAX_DUMPS; per process (dump_retention.h)
  bool follow_children = true;            // LEAKSCOPE_FOLLOW_CHILDREN
  bool log_info = false;                  // LEAKSCOPE_LOG=info
  bool java_stacks = true;                // LEAKSCOPE_JAVA_STACKS
  const char* process = nullptr;          // LEAKSCOPE_PROCESS (points into environ); null = all
};

// Limits enforced on the options (values outside are a bad value).
inline constexpr uint32_t kMaxDepth = 256;
inline constexpr uint64_t kMaxStacksLimit =
    (1u << 24) - 1;  // stack ids are 24 bits in the live table
inline constexpr uint64_t kMaxLiveLimit = 1ull << 28;
inline constexpr uint64_t kMaxStreamsLimit = 1ull << 24;
inline constexpr uint64_t kMaxDumpsLimit = 1ull << 20;  // the first and the newest need 2

// Reads the environment (getenv only: no allocation) and warns about bad values.
Options LoadOptions();

// The JVMTI agent's option string, as `leakscope attach` or -agentpath:lib=... give it: comma-
// separated key=value pairs, each key a variable's name without LEAKSCOPE_ in any case
// ("dir=/data/dumps,interval=30s,sample_bytes=1"), applied over `options` (the environment's:
// the agent's string wins). Values are checked as the variables' are, with the same warnings.
// False, with a warning, for a key that names no option or a pair without '='. Keeps its own
// copy of `text` (paths point into it); called once, at the agent's start.
bool ApplyAgentOptions(const char* text, Options* options);

// The variables' names, in the table's order: OptionName(i) for i < OptionCount().
size_t OptionCount();
const char* OptionName(size_t i);

}  // namespace leakscope::recorder
