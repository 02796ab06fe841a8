#include "raw_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include <atomic>

namespace leakscope {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kWarn)};
}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

void RawLog(LogLevel level, const char* format, ...) {
  if (static_cast<int>(level) > g_level.load(std::memory_order_relaxed)) return;
  int saved_errno = errno;  // callers often log right before reporting errno themselves
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

}  // namespace leakscope
