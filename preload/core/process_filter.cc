// SPDX-License-Identifier: Apache-2.0
#include "process_filter.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "option_values.h"

namespace leakscope::recorder {

void ExecutableBaseName(char* out, size_t size) {
  if (size == 0) return;
  char path[4096];
  ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  const char* base;
  if (n > 0) {
    path[n] = '\0';
    // An executable replaced after it started reads "/path/java (deleted)": still that file.
    static constexpr char kDeleted[] = " (deleted)";
    size_t suffix = sizeof(kDeleted) - 1;
    if (static_cast<size_t>(n) > suffix && strcmp(path + n - suffix, kDeleted) == 0) {
      path[n - suffix] = '\0';
    }
    const char* slash = strrchr(path, '/');
    base = slash != nullptr ? slash + 1 : path;
  } else {
    base = program_invocation_short_name != nullptr ? program_invocation_short_name : "";
  }
  size_t length = strnlen(base, size - 1);
  memcpy(out, base, length);
  out[length] = '\0';
}

bool ProcessSelected(const char* list) {
  if (list == nullptr) return true;
  char name[256];
  ExecutableBaseName(name, sizeof(name));
  return NameInList(list, name);
}

}  // namespace leakscope::recorder
