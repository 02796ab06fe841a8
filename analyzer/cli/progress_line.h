// SPDX-License-Identifier: Apache-2.0
// The "read N of M dumps" line of the commands that read many dumps (trend, html, export): for
// a person waiting at a terminal, and for nobody else. It appears only once the analysis has
// run for kProgressDelay and only when stderr is a terminal: a log, a pipe or a CI job gets no
// carriage returns in its output, and a short analysis no flicker.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace leakscope::analyzer {

inline constexpr std::chrono::milliseconds kProgressDelay{2000};

class ProgressLine {
 public:
  // For `leakscope <command>` writing to stderr when it is a terminal (isatty).
  explicit ProgressLine(const char* command);
  // For tests: `terminal` says whether `out` is to be treated as a terminal.
  ProgressLine(const char* command, FILE* out, bool terminal,
               std::chrono::milliseconds delay = kProgressDelay);
  // Erases the line if it was shown (Clear).
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // `done` of `total` dump files handled. Rewrites the line at most ten times a second. Not
  // thread-safe: callers serialize (AnalyzeTrend does).
  void Update(size_t done, size_t total);
  // Erases the line, so that what follows on stderr starts on a clean line.
  void Clear();

  bool shown() const { return shown_; }

 private:
  std::string command_;
  FILE* out_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
  std::chrono::milliseconds delay_;
  bool shown_ = false;
};

}  // namespace leakscope::analyzer
