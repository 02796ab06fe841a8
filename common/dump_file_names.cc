// SPDX-License-Identifier: Apache-2.0
#include "dump_file_names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace leakscope::dump_files {
namespace {

constexpr char kDumpPrefix[] = "leakscope.";
constexpr char kTempPrefix[] = ".leakscope.";
constexpr char kDumpSuffix[] = ".dump";
constexpr char kTempSuffix[] = ".dump.tmp";

// Digits only (no sign, no space, no base prefix), at least one, fitting in 64 bits.
const char* ParseDigits(const char* p, uint64_t* out) {
  uint64_t value = 0;
  const char* start = p;
  for (; *p >= '0' && *p <= '9'; ++p) {
    uint64_t digit = static_cast<uint64_t>(*p - '0');
    if (value > (UINT64_MAX - digit) / 10) return nullptr;
    value = value * 10 + digit;
  }
  if (p == start) return nullptr;
  *out = value;
  return p;
}

// <prefix><pid>.<seq><suffix>
bool ParseName(const char* name, const char* prefix, const char* suffix, int* pid, uint64_t* seq) {
  size_t prefix_length = strlen(prefix);
  if (strncmp(name, prefix, prefix_length) != 0) return false;
  uint64_t pid_value, seq_value;
  const char* p = ParseDigits(name + prefix_length, &pid_value);
  if (p == nullptr || *p != '.' || pid_value == 0 || pid_value > 0x7fffffff) return false;
  p = ParseDigits(p + 1, &seq_value);
  if (p == nullptr || strcmp(p, suffix) != 0) return false;
  *pid = static_cast<int>(pid_value);
  *seq = seq_value;
  return true;
}

bool Fits(int written, size_t size) { return written >= 0 && static_cast<size_t>(written) < size; }

}  // namespace

bool FormatDumpName(char* out, size_t size, int pid, uint64_t seq) {
  return Fits(snprintf(out, size, "%s%d.%llu%s", kDumpPrefix, pid,
                       static_cast<unsigned long long>(seq), kDumpSuffix),
              size);
}

bool FormatTempName(char* out, size_t size, int pid, uint64_t seq) {
  return Fits(snprintf(out, size, "%s%d.%llu%s", kTempPrefix, pid,
                       static_cast<unsigned long long>(seq), kTempSuffix),
              size);
}

bool FormatTriggerName(char* out, size_t size, int pid) {
  return Fits(snprintf(out, size, "%s%d.trigger", kDumpPrefix, pid), size);
}

bool FormatStatusName(char* out, size_t size, int pid) {
  return Fits(snprintf(out, size, "%s%d.status", kDumpPrefix, pid), size);
}

bool FormatStatusTempName(char* out, size_t size, int pid) {
  return Fits(snprintf(out, size, "%s%d.status.tmp", kTempPrefix, pid), size);
}

bool ParseDumpName(const char* name, int* pid, uint64_t* seq) {
  return ParseName(name, kDumpPrefix, kDumpSuffix, pid, seq);
}

bool ParseTempName(const char* name, int* pid, uint64_t* seq) {
  return ParseName(name, kTempPrefix, kTempSuffix, pid, seq);
}

std::string PrivateDirectoryName(unsigned uid) { return "leakscope-" + std::to_string(uid); }

std::string DefaultDumpDirectory(unsigned uid) {
  const char* tmp = getenv("TMPDIR");
  std::string base = (tmp != nullptr && tmp[0] == '/') ? tmp : "/tmp";
  return base + "/" + PrivateDirectoryName(uid);
}

}  // namespace leakscope::dump_files
