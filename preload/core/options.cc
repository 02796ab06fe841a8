// SPDX-License-Identifier: Apache-2.0
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "option_values.h"
#include "raw_log.h"

namespace leakscope::recorder {

namespace {

enum class Kind { kBool, kSize, kDuration, kPath, kLogLevel, kNames };

struct OptionSpec {
  const char* name;
  Kind kind;
  bool Options::*flag;        // kBool
  uint64_t Options::*number;  // kSize, kDuration
  uint64_t min;               // kSize
  uint64_t max;
};

// The one table. Defaults live in struct Options; what each means is the README's table, which
// lists these names in this order (tests/preload/option_docs_test.cc checks it).
constexpr OptionSpec kSpecs[] = {
    {"LEAKSCOPE_DISABLE", Kind::kBool, &Options::disable, nullptr, 0, 0},
    {"LEAKSCOPE_SAMPLE_BYTES", Kind::kSize, nullptr, &Options::sample_bytes, 1, kMaxSampleBytes},
    {"LEAKSCOPE_DEPTH", Kind::kSize, nullptr, &Options::depth, 1, kMaxDepth},
    {"LEAKSCOPE_MAX_STACKS", Kind::kSize, nullptr, &Options::max_stacks, 16, kMaxStacksLimit},
    {"LEAKSCOPE_MAX_LIVE", Kind::kSize, nullptr, &Options::max_live, 16, kMaxLiveLimit},
    {"LEAKSCOPE_MAX_STREAMS", Kind::kSize, nullptr, &Options::max_streams, 16, kMaxStreamsLimit},
    {"LEAKSCOPE_INTERVAL", Kind::kDuration, nullptr, &Options::interval_ns, 0, 0},
    {"LEAKSCOPE_DIR", Kind::kPath, nullptr, nullptr, 0, 0},
    {"LEAKSCOPE_MAX_DUMPS", Kind::kSize, nullptr, &Options::max_dumps, 2, kMaxDumpsLimit},
    {"LEAKSCOPE_FOLLOW_CHILDREN", Kind::kBool, &Options::follow_children, nullptr, 0, 0},
    {"LEAKSCOPE_LOG", Kind::kLogLevel, nullptr, nullptr, 0, 0},
    {"LEAKSCOPE_JAVA_STACKS", Kind::kBool, &Options::java_stacks, nullptr, 0, 0},
    {"LEAKSCOPE_PROCESS", Kind::kNames, nullptr, nullptr, 0, 0},
};

void Warn(const OptionSpec& spec, const char* value, const char* expected) {
  RawLog(LogLevel::kWarn, "ignoring %s=\"%s\": expected %s; using the default", spec.name, value,
         expected);
}

void Apply(const OptionSpec& spec, const char* value, Options* options) {
  switch (spec.kind) {
    case Kind::kBool: {
      bool b;
      if (!ParseBool(value, &b)) return Warn(spec, value, "1/0, true/false, on/off");
      options->*spec.flag = b;
      return;
    }
    case Kind::kSize: {
      uint64_t v;
      if (!ParseSize(value, &v) || v < spec.min || v > spec.max) {
        char expected[96];
        snprintf(expected, sizeof(expected), "a number from %llu to %llu (K/M/G suffixes allowed)",
                 static_cast<unsigned long long>(spec.min),
                 static_cast<unsigned long long>(spec.max));
        return Warn(spec, value, expected);
      }
      options->*spec.number = v;
      return;
    }
    case Kind::kDuration: {
      uint64_t ns;
      if (!ParseDuration(value, &ns) || (ns != 0 && ns < kMinIntervalNs)) {
        return Warn(spec, value, "0 or a duration of at least 100ms such as 500ms, 30s, 5m");
      }
      options->*spec.number = ns;
      return;
    }
    case Kind::kPath:
      if (value[0] == '\0') return Warn(spec, value, "a directory");
      options->dir = value;
      return;
    case Kind::kLogLevel:
      if (strcasecmp(value, "info") == 0) {
        options->log_info = true;
      } else if (strcasecmp(value, "warn") != 0) {
        Warn(spec, value, "warn or info");
      }
      return;
    case Kind::kNames:
      // Empty entries are skipped when matching; a list of nothing but commas names no one.
      if (value[strspn(value, ", ")] == '\0') {
        return Warn(spec, value, "executable names such as java");
      }
      options->process = value;
      return;
  }
}

}  // namespace

size_t OptionCount() { return sizeof(kSpecs) / sizeof(kSpecs[0]); }

const char* OptionName(size_t i) { return i < OptionCount() ? kSpecs[i].name : nullptr; }

bool ApplyAgentOptions(const char* text, Options* options) {
  // Values point into this copy for the process's life, as the environment's do into environ.
  static char copy[4096];
  if (text == nullptr || text[0] == '\0') return true;
  if (strlen(text) >= sizeof(copy)) {
    RawLog(LogLevel::kWarn, "ignoring the agent options: longer than %zu bytes", sizeof(copy) - 1);
    return false;
  }
  strcpy(copy, text);
  bool ok = true;
  for (char* pair = copy; pair != nullptr;) {
    char* next = strchr(pair, ',');
    if (next != nullptr) *next++ = '\0';
    char* value = strchr(pair, '=');
    const OptionSpec* found = nullptr;
    if (value != nullptr) {
      *value++ = '\0';
      constexpr size_t kPrefix = sizeof("LEAKSCOPE_") - 1;
      for (const OptionSpec& spec : kSpecs) {
        if (strcasecmp(spec.name + kPrefix, pair) == 0) found = &spec;
      }
    }
    if (found != nullptr) {
      Apply(*found, value, options);
    } else if (pair[0] != '\0') {
      RawLog(LogLevel::kWarn, "ignoring the agent option \"%s\": %s", pair,
             value == nullptr ? "expected key=value" : "no such option");
      ok = false;
    }
    pair = next;
  }
  return ok;
}

Options LoadOptions() {
  Options options;
  for (const OptionSpec& spec : kSpecs) {
    const char* value = getenv(spec.name);
    if (value != nullptr) Apply(spec, value, &options);
  }
  return options;
}

}  // namespace leakscope::recorder
