// SPDX-License-Identifier: Apache-2.0
// Counts the files the code linked into a test binary opens, by path: a test of how often the
// analyzer reads each dump. Not thread-safe; for single-threaded code under test.
#pragma once

#include <map>
#include <string>

namespace leakscope::testing {

// From now on, each open(2) by this executable's code (not by libc's own, e.g. fopen) counts.
void StartCountingOpens();
// Stops counting; the opens since StartCountingOpens, by path as passed to open.
std::map<std::string, int> StopCountingOpens();

}  // namespace leakscope::testing
