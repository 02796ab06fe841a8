// SPDX-License-Identifier: Apache-2.0
// Messages from inside the host process: formatted into a stack buffer and written to the stderr
// the process had when the recorder started, with write(2), prefixed "leakscope: ". No
// allocation, no locks, no stdio, so they are safe in hooks, before main and in fork children.
//
// Fd 2 is a number, not a promise: a daemon may close it and open its own file there. Each
// message first checks (one fstat) that fd 2 is still the file it was at start, and is dropped
// otherwise; so is every message when fd 2 was not open at start.
#pragma once

#include <cstdint>

namespace leakscope::recorder {

enum class LogLevel { kWarn = 0, kInfo = 1 };

// Messages above this level are dropped. Set once from LEAKSCOPE_LOG.
void SetLogLevel(LogLevel level);

// Remembers which file fd 2 is. Call as early as possible (the recorder's initialization); a
// message logged before that remembers it itself. Later calls do nothing.
void RememberStderr();

// Whether `fd` is the stderr remembered at start (false when fd 2 was not open then).
bool IsOriginalStderr(int fd);

// printf-style, at most one line of ~512 bytes; a trailing newline is added.
void RawLog(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

// Messages dropped because fd 2 was no longer (or never was) the stderr found at start.
uint64_t DroppedLogMessages();

}  // namespace leakscope::recorder
