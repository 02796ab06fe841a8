// SPDX-License-Identifier: Apache-2.0
// Runs a program in a child process with a controlled environment and captures what it prints.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace leakscope::testing {

struct RunOptions {
  std::vector<std::string> args;  // argv[1...]
  // The child's environment is ours minus LD_PRELOAD, LOG_DIRS and every LEAKSCOPE_* variable (so
  // a developer's shell cannot change a test), plus these.
  std::map<std::string, std::string> env;
  // Removed from the child's environment (applied before `env`).
  std::vector<std::string> unset;
  // When non-empty, LD_PRELOAD is set to it.
  std::string preload;
  // Run `prefix... program args...` instead (e.g. a launcher such as unshare + sh). The pid of the
  // run is the pid of the first process; launchers that exec keep it.
  std::vector<std::string> prefix;
  std::optional<mode_t> umask;
  double timeout_seconds = 30;
};

struct RunResult {
  pid_t pid = -1;
  int exit_code = -1;   // -1 unless the program exited
  int term_signal = 0;  // the signal that killed it, 0 if none
  bool timed_out = false;
  std::string out;     // everything written to stdout
  std::string err;     // everything written to stderr
  double seconds = 0;  // wall time until both pipes closed and the child was reaped

  // One line for test failure messages: how it ended and what it printed on stderr.
  std::string Describe() const;
};

// Starts the program (stdin from /dev/null, its own process group), collects stdout and stderr
// until every writer has closed them (children that inherit the pipes count), then reaps it. On
// timeout the whole process group is killed with SIGKILL.
RunResult RunProgram(const std::string& program, const RunOptions& options);

// RunProgram("/bin/sh", {"-c", script, ...}): for the few runs that need a shell (another user
// through runuser, `$$`, `&&`). options.args are ignored.
RunResult RunShell(const std::string& script, RunOptions options = {});

// The words of `line`, split at runs of spaces: an argument list written as one string. No
// quoting: a word cannot hold a space (test directories never do).
std::vector<std::string> Words(const std::string& line);

}  // namespace leakscope::testing
