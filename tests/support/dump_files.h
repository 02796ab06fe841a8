// SPDX-License-Identifier: Apache-2.0
// Finding and loading the dumps a run left in its dump directory.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "dump.h"

namespace leakscope::testing {

struct DumpFile {
  pid_t pid;
  uint64_t seq;
  std::string path;
};

// Every `leakscope.<pid>.<seq>.dump` in dir, sorted by pid, then seq. Other names are ignored.
std::vector<DumpFile> ListDumps(const std::string& dir);

// Those of one pid, by seq.
std::vector<DumpFile> DumpsOf(const std::string& dir, pid_t pid);

// Reads a dump with the shared reader; the failure message carries the reader's error.
::testing::AssertionResult LoadDump(const std::string& path, Dump* out);

// Loads the dump with the highest seq for pid (the one written at exit).
::testing::AssertionResult LoadLastDump(const std::string& dir, pid_t pid, Dump* out);

}  // namespace leakscope::testing
