// Runs a shell command line for the analyzer's end-to-end tests, its stdout and stderr captured
// through files in a directory of the test's.
#pragma once

#include <stdlib.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>
#include <string>

namespace leakscope {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct RunResult {
  int status = -1;  // exit status, or 128 + signal
  std::string out, err;
};

// Runs `command` with sh, its output in dir/stdout and dir/stderr. Callers put `timeout N` in
// front, so a hang becomes status 124 instead of a stuck test.
inline RunResult RunCaptured(const std::string& command, const std::string& dir) {
  std::string out = dir + "/stdout", err = dir + "/stderr";
  int raw = system((command + " >" + out + " 2>" + err).c_str());
  RunResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

}  // namespace leakscope
