// Scenarios run with the recorder's defaults, as in production: a program's output is the same
// with and without the preload (C programs and JVMs), and sampling estimates a leak closely.
#include <unistd.h>

#include <cmath>
#include <regex>

#include "scenario_fixture.h"

namespace leakscope::testing {
namespace {

// Runs `program args` without and with the preload (options give the env for the latter) and
// compares what a user sees: stdout, stderr and the exit code.
::testing::AssertionResult SameOutput(const std::string& program, RunOptions with,
                                      const TempDir& dir, RunResult* preloaded = nullptr) {
  RunOptions plain;
  plain.args = with.args;
  plain.timeout_seconds = with.timeout_seconds;
  RunResult a = RunProgram(program, plain);
  RunResult b = RunIn(dir, program, with);
  if (preloaded != nullptr) *preloaded = b;
  if (a.timed_out || b.timed_out) return ::testing::AssertionFailure() << "timed out";
  if (a.out != b.out || a.err != b.err || a.exit_code != b.exit_code ||
      a.term_signal != b.term_signal) {
    return ::testing::AssertionFailure()
           << "without preload: " << a.Describe() << " stdout \"" << a.out << "\"\n"
           << "with preload:    " << b.Describe() << " stdout \"" << b.out << "\"";
  }
  return ::testing::AssertionSuccess();
}

TEST(OutputIdentity, OutputAndExitCodeAreUnchangedByThePreload) {
  {
    TempDir dir;
    RunResult run;
    ASSERT_TRUE(SameOutput(Program("output_identity"), Defaults(), dir, &run));
    EXPECT_EQ(run.exit_code, 3);
    // The default interval is 60 s: exit must not wait for the dumper.
    EXPECT_LT(run.seconds, 5.0);
    EXPECT_EQ(DumpsOf(dir.path(), run.pid).size(), 1u);
  }
  {
    TempDir dir;
    ASSERT_TRUE(SameOutput(Program("output_identity"), Exact(), dir));
  }
}

TEST(SampledEstimate, DefaultSamplingEstimatesA64MiBLeakWithinTenPercent) {
  TempDir dir;
  RunResult run = RunIn(dir, Program("sampled_estimate"), Defaults());
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(run.err, "");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(run.out, m, std::regex(R"(leaked ([0-9]+)\n)"))) << run.out;
  const double leaked = std::stod(m[1]);
  Dump dump;
  ASSERT_TRUE(LoadLastDump(dir.path(), run.pid, &dump));
  ASSERT_TRUE(DumpIsConsistent(dump));
  EXPECT_GT(dump.settings.sample_bytes, 1u) << "not sampling";
  SiteFinder f(dump);
  double estimate = 0;
  uint64_t sampled = 0;
  for (const char* function : {"leak_small", "leak_medium", "leak_large"}) {
    estimate += static_cast<double>(f.AllocatedIn(function).live_est_bytes);
    sampled += f.AllocatedIn(function).live_count;
  }
  EXPECT_LE(std::fabs(estimate - leaked), 0.10 * leaked)
      << "estimated " << estimate << " B of " << leaked << " B from " << sampled
      << " samples at a mean interval of " << dump.settings.sample_bytes << " B";
  // Sampled blocks that were freed take their whole weight with them.
  SiteTotals churn = f.AllocatedIn("churn");
  EXPECT_EQ(churn.live_count, 0u);
  EXPECT_EQ(churn.live_est_bytes, 0u);
}

// The JVMs on the machine: the system one (links the system libz.so.1, so zlib calls can be
// intercepted) and Temurin 25 (zlib bundled inside libzip.so: none can).
const std::string kJava = SCENARIO_JAVA;
const std::string kTemurinJava = SCENARIO_TEMURIN_JAVA;
const std::string kJavaClasses = SCENARIO_JAVA_CLASSES;

RunOptions JavaOptions(std::vector<std::string> args) {
  RunOptions options = Defaults(std::move(args));
  options.timeout_seconds = 60;
  return options;
}

void ExpectJavaDump(const TempDir& dir, const RunResult& run, Dump* dump) {
  ASSERT_TRUE(LoadLastDump(dir.path(), run.pid, dump));
  EXPECT_TRUE(DumpIsConsistent(*dump, /*native_only=*/false));
}

TEST(Java, VersionOutputIsUnchanged) {
  ASSERT_FALSE(kJava.empty()) << "java was not found when the build was configured";
  TempDir dir;
  RunResult run;
  ASSERT_TRUE(SameOutput(kJava, JavaOptions({"-version"}), dir, &run));
  Dump dump;
  ExpectJavaDump(dir, run, &dump);
}

TEST(Java, MultiThreadedProgramOutputIsUnchangedAndItsOpenInflatersAreCounted) {
  ASSERT_FALSE(kJava.empty()) << "java was not found when the build was configured";
  TempDir dir;
  RunResult run;
  ASSERT_TRUE(SameOutput(kJava, JavaOptions({"-cp", kJavaClasses, "Churn"}), dir, &run));
  EXPECT_EQ(run.err, "left 5 inflaters open\n");
  Dump dump;
  ExpectJavaDump(dir, run, &dump);
  EXPECT_GT(dump.counters.zlib_calls, 0u);
  EXPECT_EQ(dump.counters.zlib_missing_real, 0u);
  SiteFinder f(dump);
  StreamTotals inflaters =
      f.StreamsThrough("Java_java_util_zip_Inflater_init", format::StreamKind::kInflate);
  EXPECT_EQ(inflaters.open_count, 5u) << f.DescribeSites();
  EXPECT_EQ(
      f.StreamsThrough("Java_java_util_zip_Deflater_init", format::StreamKind::kDeflate).open_count,
      0u);
}

TEST(Java, BundledZlibJvmRunsUnchangedAndReportsNoZlibInterception) {
  if (access(kTemurinJava.c_str(), X_OK) != 0) GTEST_SKIP() << kTemurinJava << " not installed";
  {
    TempDir dir;
    ASSERT_TRUE(SameOutput(kTemurinJava, JavaOptions({"-version"}), dir));
  }
  TempDir dir;
  RunResult run;
  ASSERT_TRUE(SameOutput(kTemurinJava, JavaOptions({"-cp", kJavaClasses, "Churn"}), dir, &run));
  Dump dump;
  ExpectJavaDump(dir, run, &dump);
  EXPECT_EQ(dump.counters.zlib_calls, 0u);
  EXPECT_TRUE(dump.streams.empty());
}

}  // namespace
}  // namespace leakscope::testing
// SPDX-License-Identifier: Apache-2.0
