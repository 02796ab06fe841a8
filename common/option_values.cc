// SPDX-License-Identifier: Apache-2.0
#include "option_values.h"

#include <string.h>
#include <strings.h>

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

// value * factor into *out; on overflow false, and *out untouched (the builtin would store the
// wrapped product).
bool Scale(uint64_t value, uint64_t factor, uint64_t* out) {
  uint64_t product;
  if (__builtin_mul_overflow(value, factor, &product)) return false;
  *out = product;
  return true;
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

bool NameInList(const char* list, const char* name) {
  size_t name_length = strlen(name);
  const char* p = list;
  while (*p != '\0') {
    p += strspn(p, ", ");
    size_t length = strcspn(p, ",");
    size_t trimmed = length;
    while (trimmed > 0 && p[trimmed - 1] == ' ') --trimmed;
    if (trimmed != 0 && trimmed == name_length && memcmp(p, name, trimmed) == 0) return true;
    p += length;
  }
  return false;
}

}  // namespace leakscope
