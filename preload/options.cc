#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raw_log.h"

namespace leakscope {

bool ParseBool(const char* text, bool* out) {
  static constexpr const char* kTrue[] = {"1", "true", "on", "yes"};
  static constexpr const char* kFalse[] = {"0", "false", "off", "no"};
  for (const char* t : kTrue) {
    if (strcasecmp(text, t) == 0) return *out = true, true;
  }
  for (const char* f : kFalse) {
    if (strcasecmp(text, f) == 0) return *out = false, true;
  }
  return false;
}

namespace {

// Parses leading decimal digits; returns the end or nullptr if there are none or they overflow.
const char* ParseDigits(const char* text, uint64_t* value) {
  if (*text < '0' || *text > '9') return nullptr;
  uint64_t v = 0;
  for (; *text >= '0' && *text <= '9'; ++text) {
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *text - '0', &v)) {
      return nullptr;
    }
  }
  *value = v;
  return text;
}

bool Scale(uint64_t value, uint64_t factor, uint64_t* out) {
  return !__builtin_mul_overflow(value, factor, out);
}

}  // namespace

bool ParseSize(const char* text, uint64_t* out) {
  uint64_t value;
  const char* rest = ParseDigits(text, &value);
  if (rest == nullptr) return false;
  uint64_t factor = 1;
  switch (*rest) {
    case '\0':
      break;
    case 'k':
    case 'K':
      factor = 1ull << 10;
      ++rest;
      break;
    case 'm':
    case 'M':
      factor = 1ull << 20;
      ++rest;
      break;
    case 'g':
    case 'G':
      factor = 1ull << 30;
      ++rest;
      break;
    default:
      return false;
  }
  if (*rest == 'i' || *rest == 'I') ++rest;  // accept "64KiB"-ish spellings
  if (*rest == 'b' || *rest == 'B') ++rest;
  if (*rest != '\0') return false;
  return Scale(value, factor, out);
}

bool ParseDuration(const char* text, uint64_t* out_ns) {
  uint64_t value;
  const char* rest = ParseDigits(text, &value);
  if (rest == nullptr) return false;
  uint64_t factor;
  if (strcmp(rest, "") == 0 || strcmp(rest, "s") == 0) {
    factor = 1'000'000'000;
  } else if (strcmp(rest, "ms") == 0) {
    factor = 1'000'000;
  } else if (strcmp(rest, "m") == 0 || strcmp(rest, "min") == 0) {
    factor = 60'000'000'000;
  } else if (strcmp(rest, "h") == 0) {
    factor = 3'600'000'000'000;
  } else {
    return false;
  }
  return Scale(value, factor, out_ns);
}

namespace {

enum class Kind { kBool, kSize, kDuration, kPath, kLogLevel };

struct OptionSpec {
  const char* name;
  Kind kind;
  bool Options::*flag;        // kBool
  uint64_t Options::*number;  // kSize, kDuration
  uint64_t min;               // kSize
  uint64_t max;
  const char* doc;
};

// The one table. Defaults live in struct Options; the README repeats this list in this order.
constexpr OptionSpec kSpecs[] = {
    {"LEAKSCOPE_DISABLE", Kind::kBool, &Options::disable, nullptr, 0, 0,
     "1: every hook passes straight through"},
    {"LEAKSCOPE_SAMPLE_BYTES", Kind::kSize, nullptr, &Options::sample_bytes, 1, 1ull << 40,
     "mean bytes between samples (Poisson); 1 = record every allocation"},
    {"LEAKSCOPE_DEPTH", Kind::kSize, nullptr, &Options::depth, 1, kMaxDepth,
     "native frames kept per stack"},
    {"LEAKSCOPE_FAST_UNWIND", Kind::kBool, &Options::fast_unwind, nullptr, 0, 0,
     "0: libunwind walks every stack (else the recorder's own walk, libunwind where it cannot)"},
    {"LEAKSCOPE_MAX_STACKS", Kind::kSize, nullptr, &Options::max_stacks, 16, kMaxStacksLimit,
     "distinct call stacks kept"},
    {"LEAKSCOPE_MAX_LIVE", Kind::kSize, nullptr, &Options::max_live, 16, kMaxLiveLimit,
     "live sampled allocations kept"},
    {"LEAKSCOPE_MAX_STREAMS", Kind::kSize, nullptr, &Options::max_streams, 16, kMaxStreamsLimit,
     "open zlib streams kept"},
    {"LEAKSCOPE_INTERVAL", Kind::kDuration, nullptr, &Options::interval_ns, 0, 0,
     "time between dumps; 0 = at exit and on demand only"},
    {"LEAKSCOPE_DIR", Kind::kPath, nullptr, nullptr, 0, 0, "where dumps go"},
    {"LEAKSCOPE_FOLLOW_CHILDREN", Kind::kBool, &Options::follow_children, nullptr, 0, 0,
     "0: children do not inherit the preload"},
    {"LEAKSCOPE_LOG", Kind::kLogLevel, nullptr, nullptr, 0, 0, "warn (default) or info"},
    {"LEAKSCOPE_JAVA_STACKS", Kind::kBool, &Options::java_stacks, nullptr, 0, 0,
     "0: no Java frames even with the JVMTI agent loaded"},
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
      if (!ParseDuration(value, &ns) || (ns != 0 && ns < 100'000'000)) {
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
  }
}

}  // namespace

Options LoadOptions() {
  Options options;
  for (const OptionSpec& spec : kSpecs) {
    const char* value = getenv(spec.name);
    if (value != nullptr) Apply(spec, value, &options);
  }
  return options;
}

}  // namespace leakscope
