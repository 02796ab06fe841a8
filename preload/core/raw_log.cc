// SPDX-License-Identifier: Apache-2.0
#include "raw_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>

namespace leakscope::recorder {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kWarn)};

// Which file fd 2 was at start. Atomics because any thread may log first; the identity is
// published before the state, so a reader that sees kKnown sees it whole.
enum StderrState { kUnknown = 0, kKnown = 1, kAbsent = 2 };
std::atomic<int> g_stderr_state{kUnknown};
std::atomic<uint64_t> g_stderr_dev{0};
std::atomic<uint64_t> g_stderr_ino{0};
std::atomic<uint64_t> g_dropped{0};

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

void RememberStderr() {
  if (g_stderr_state.load(std::memory_order_acquire) != kUnknown) return;
  int saved_errno = errno;
  struct stat st;
  // Two threads racing here fstat the same fd 2 at the same moment and store the same values.
  if (fstat(STDERR_FILENO, &st) == 0) {
    g_stderr_dev.store(st.st_dev, std::memory_order_relaxed);
    g_stderr_ino.store(st.st_ino, std::memory_order_relaxed);
    g_stderr_state.store(kKnown, std::memory_order_release);
  } else {
    g_stderr_state.store(kAbsent, std::memory_order_release);
  }
  errno = saved_errno;
}

bool IsOriginalStderr(int fd) {
  RememberStderr();
  if (g_stderr_state.load(std::memory_order_acquire) != kKnown) return false;
  struct stat st;
  return fstat(fd, &st) == 0 && st.st_dev == g_stderr_dev.load(std::memory_order_relaxed) &&
         st.st_ino == g_stderr_ino.load(std::memory_order_relaxed);
}

uint64_t DroppedLogMessages() { return g_dropped.load(std::memory_order_relaxed); }

void RawLog(LogLevel level, const char* format, ...) {
  if (static_cast<int>(level) > g_level.load(std::memory_order_relaxed)) return;
  int saved_errno = errno;  // callers often log right before reporting errno themselves
  // The program may have closed fd 2 and opened its own file there: then our words would land
  // in its data. Residual risk: it can still swap fd 2 between this fstat and the write below,
  // a window of one system call on a path taken a few times per run.
  if (!IsOriginalStderr(STDERR_FILENO)) {
    g_dropped.fetch_add(1, std::memory_order_relaxed);
    errno = saved_errno;
    return;
  }
  char buffer[512];
  static constexpr char kPrefix[] = "leakscope: ";
  size_t used = sizeof(kPrefix) - 1;
  __builtin_memcpy(buffer, kPrefix, used);
  va_list args;
  va_start(args, format);
  // vsnprintf with %s/%d/%zu/%llu does not allocate in glibc.
  int n = vsnprintf(buffer + used, sizeof(buffer) - used - 1, format, args);
  va_end(args);
  if (n > 0)
    used += (static_cast<size_t>(n) < sizeof(buffer) - used - 1) ? n : sizeof(buffer) - used - 2;
  buffer[used++] = '\n';
  size_t done = 0;
  while (done < used) {
    ssize_t w = write(STDERR_FILENO, buffer + done, used - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    done += static_cast<size_t>(w);
  }
  errno = saved_errno;
}

}  // namespace leakscope::recorder
