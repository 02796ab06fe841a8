// SPDX-License-Identifier: Apache-2.0
// The test binary's own open() and open64(): calls from code linked into the executable bind to
// these before libc's. They count, then make the system call themselves. This file includes no
// <fcntl.h>, whose declarations may rename open to open64; the flag values are the kernel's.
#include "count_opens.h"

#include <linux/fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdarg>

namespace leakscope::testing {
namespace {

std::map<std::string, int>* counts = nullptr;  // while counting

int CountedOpen(const char* path, int flags, unsigned mode) {
  if (counts != nullptr) ++(*counts)[path];
  return static_cast<int>(syscall(SYS_openat, AT_FDCWD, path, flags, mode));
}

}  // namespace

void StartCountingOpens() {
  delete counts;
  counts = new std::map<std::string, int>;
}

std::map<std::string, int> StopCountingOpens() {
  std::map<std::string, int> result = std::move(*counts);
  delete counts;
  counts = nullptr;
  return result;
}

}  // namespace leakscope::testing

// The mode is an argument only with O_CREAT or O_TMPFILE, as open(2) says.
#define LEAKSCOPE_OPEN_MODE(flags, mode)   \
  do {                                     \
    if ((flags) & (O_CREAT | O_TMPFILE)) { \
      va_list args;                        \
      va_start(args, flags);               \
      mode = va_arg(args, unsigned);       \
      va_end(args);                        \
    }                                      \
  } while (0)

extern "C" int open(const char* path, int flags, ...) {
  unsigned mode = 0;
  LEAKSCOPE_OPEN_MODE(flags, mode);
  return leakscope::testing::CountedOpen(path, flags, mode);
}

extern "C" int open64(const char* path, int flags, ...) {
  unsigned mode = 0;
  LEAKSCOPE_OPEN_MODE(flags, mode);
  return leakscope::testing::CountedOpen(path, flags, mode);
}
