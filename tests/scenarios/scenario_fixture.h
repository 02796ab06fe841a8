// What every scenario test does: run a program from this directory under the preload with a
// fresh LEAKSCOPE_DIR, then read what it wrote. Paths of the built programs and of the preload
// come from compile definitions set in tests/scenarios/CMakeLists.txt.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "dump.h"
#include "dump_checks.h"
#include "dump_files.h"
#include "run_program.h"
#include "site_finder.h"
#include "temp_dir.h"

namespace leakscope::testing {

inline const std::string kPreload = LEAKSCOPE_PRELOAD;
inline const std::string kScenarioDir = SCENARIO_DIR;

// A program built from tests/scenarios/<name>.c(c).
inline std::string Program(const std::string& name) { return kScenarioDir + "/" + name; }
// A library built from tests/scenarios/lib<name>.c.
inline std::string Library(const std::string& name) { return kScenarioDir + "/lib" + name + ".so"; }

// Under the preload, every allocation recorded (LEAKSCOPE_SAMPLE_BYTES=1), one dump at exit
// (LEAKSCOPE_INTERVAL=0), plus the variables in `env` (which win over those two).
inline RunOptions Exact(std::vector<std::string> args = {},
                        std::map<std::string, std::string> env = {}) {
  RunOptions options;
  options.preload = kPreload;
  options.args = std::move(args);
  options.env = std::move(env);
  options.env.try_emplace("LEAKSCOPE_SAMPLE_BYTES", "1");
  options.env.try_emplace("LEAKSCOPE_INTERVAL", "0");
  return options;
}

// Under the preload with its defaults, apart from the dump directory.
inline RunOptions Defaults(std::vector<std::string> args = {}) {
  RunOptions options;
  options.preload = kPreload;
  options.args = std::move(args);
  return options;
}

// Runs with LEAKSCOPE_DIR=dir (unless the options set it).
inline RunResult RunIn(const TempDir& dir, const std::string& program, RunOptions options) {
  options.env.try_emplace("LEAKSCOPE_DIR", dir.path());
  return RunProgram(program, options);
}

// A run that exited 0 with nothing on stdout or stderr: the preload is silent.
inline ::testing::AssertionResult CleanExit(const RunResult& run) {
  if (run.exit_code == 0 && run.out.empty() && run.err.empty()) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << run.Describe() << "; stdout: \"" << run.out << "\"";
}

// Runs `program` with `options` in dir (see RunIn), expects a clean exit, loads its exit dump
// and checks it with DumpIsConsistent; the first failure is the result.
inline ::testing::AssertionResult RunAndLoad(const TempDir& dir, const std::string& program,
                                             RunOptions options, Dump* dump,
                                             RunResult* run_out = nullptr) {
  RunResult run = RunIn(dir, program, std::move(options));
  if (run_out != nullptr) *run_out = run;
  if (::testing::AssertionResult clean = CleanExit(run); !clean) return clean;
  if (::testing::AssertionResult loaded = LoadLastDump(dir.path(), run.pid, dump); !loaded) {
    return loaded;
  }
  return DumpIsConsistent(*dump);
}

// RunAndLoad with Exact(args).
inline ::testing::AssertionResult RunExact(const TempDir& dir, const std::string& program,
                                           std::vector<std::string> args, Dump* dump,
                                           RunResult* run_out = nullptr) {
  return RunAndLoad(dir, program, Exact(std::move(args)), dump, run_out);
}

// Totals as one string, so EXPECT_EQ compares all counters at once and prints them on failure:
// "alloc <count>/<bytes>, free <count>/<bytes>, live <count>/<bytes>".
inline std::string Totals(const SiteTotals& t) {
  auto pair = [](uint64_t count, uint64_t bytes) {
    return std::to_string(count) + "/" + std::to_string(bytes);
  };
  return "alloc " + pair(t.alloc_count, t.alloc_bytes) + ", free " +
         pair(t.free_count, t.free_bytes) + ", live " + pair(t.live_count, t.live_bytes);
}

// The leaks of tests/scenarios/leak_known_sizes.c, exact: the four sites' counts and bytes.
inline void ExpectKnownLeaks(const SiteFinder& f) {
  EXPECT_EQ(Totals(f.AllocatedIn("leak_256")), "alloc 10/2560, free 0/0, live 10/2560")
      << f.DescribeSites();
  EXPECT_EQ(Totals(f.AllocatedIn("leak_4096")), "alloc 3/12288, free 0/0, live 3/12288");
  EXPECT_EQ(Totals(f.AllocatedIn("leak_1mib")), "alloc 2/2097152, free 0/0, live 2/2097152");
  EXPECT_EQ(Totals(f.AllocatedIn("leak_odd_sizes")), "alloc 4/101018, free 0/0, live 4/101018");
}

// "open <open_count> of <opened_total>".
inline std::string Streams(const StreamTotals& t) {
  return "open " + std::to_string(t.open_count) + " of " + std::to_string(t.opened_total);
}

}  // namespace leakscope::testing
// SPDX-License-Identifier: Apache-2.0
