// Messages from inside the host process: formatted into a stack buffer and written to fd 2 with
// write(2), prefixed "leakscope: ". No allocation, no locks, no stdio, so they are safe in hooks,
// before main and in fork children.
#pragma once

namespace leakscope {

enum class LogLevel { kWarn = 0, kInfo = 1 };

// Messages above this level are dropped. Set once from LEAKSCOPE_LOG.
void SetLogLevel(LogLevel level);

// printf-style, at most one line of ~512 bytes; a trailing newline is added.
void RawLog(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace leakscope
