// SPDX-License-Identifier: Apache-2.0
#include "cli/progress_line.h"

#include <unistd.h>

namespace leakscope::analyzer {

ProgressLine::ProgressLine(const char* command)
    : ProgressLine(command, stderr, isatty(STDERR_FILENO) == 1) {}

ProgressLine::ProgressLine(const char* command, FILE* out, bool terminal,
                           std::chrono::milliseconds delay)
    : command_(command),
      out_(out),
      terminal_(terminal),
      start_(std::chrono::steady_clock::now()),
      delay_(delay) {}

ProgressLine::~ProgressLine() { Clear(); }

void ProgressLine::Update(size_t done, size_t total) {
  if (!terminal_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - start_ < delay_) return;
  // The last count is always shown: a line stuck below its total would look like a hang.
  if (shown_ && done < total && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  fprintf(out_, "\rleakscope %s: read %zu of %zu dumps", command_.c_str(), done, total);
  fflush(out_);
  shown_ = true;
}

void ProgressLine::Clear() {
  if (!shown_) return;
  fputs("\r\033[K", out_);
  fflush(out_);
  shown_ = false;
}

}  // namespace leakscope::analyzer
