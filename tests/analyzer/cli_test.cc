// SPDX-License-Identifier: Apache-2.0
#include "cli/cli.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "run_program.h"
#include "temp_dir.h"

namespace leakscope::analyzer {
namespace {

TEST(ArgParser, ReadsOptionsInAnyPositionAndStopsAtDashDash) {
  ArgParser parser({{"top", 'n', true}, {"quiet", 'q', false}, {"output", 'o', true}});
  std::string error;
  ASSERT_TRUE(
      parser.Parse({"a.dump", "--top=5", "-q", "-o", "out.txt", "b", "--", "--top", "x"}, &error))
      << error;
  EXPECT_EQ(parser.Value("top"), "5");
  EXPECT_TRUE(parser.Has("quiet"));
  EXPECT_EQ(parser.Value("output"), "out.txt");
  EXPECT_EQ(parser.positional(), (std::vector<std::string>{"a.dump", "b"}));
  EXPECT_EQ(parser.rest(), (std::vector<std::string>{"--top", "x"}));
}

TEST(ArgParser, RejectsUnknownOptionsAndMissingValues) {
  std::string error;
  ArgParser unknown({{"top", 0, true}});
  EXPECT_FALSE(unknown.Parse({"--bogus"}, &error));
  EXPECT_EQ(error, "unknown option --bogus");
  ArgParser missing({{"top", 0, true}});
  EXPECT_FALSE(missing.Parse({"--top"}, &error));
  EXPECT_EQ(error, "option --top needs a value");
  ArgParser flag({{"quiet", 'q', false}});
  EXPECT_FALSE(flag.Parse({"--quiet=1"}, &error));
  EXPECT_EQ(error, "option --quiet takes no value");
}

TEST(ArgParser, KeepsEveryValueOfRepeatableOptions) {
  ArgParser parser({{"debug-dir", 0, true}});
  std::string error;
  ASSERT_TRUE(parser.Parse({"--debug-dir", "a", "--debug-dir=b"}, &error));
  EXPECT_EQ(parser.Values("debug-dir"), (std::vector<std::string>{"a", "b"}));
}

// run and spark-conf check the recorder's values with the recorder's own parser
// (common/option_values.h), plus the recorder's limits.
TEST(CheckRecorderValues, AcceptWhatTheRecorderAccepts) {
  std::string error;
  for (const char* good : {"0", "100ms", "30s", "5m", "2min", "1h", "90"}) {
    EXPECT_TRUE(CheckRecorderInterval(good, &error)) << good;
  }
  for (const char* bad : {"50ms", "1.5s", "5 m", "", "soon"}) {
    EXPECT_FALSE(CheckRecorderInterval(bad, &error)) << bad;
    EXPECT_NE(error.find(bad), std::string::npos) << error;
  }
  for (const char* good : {"1", "128K", "64KiB", "1MB", "1024G"}) {
    EXPECT_TRUE(CheckRecorderSampleBytes(good, &error)) << good;
  }
  for (const char* bad : {"0", "12B", "1.5M", "2048G", "-1"}) {
    EXPECT_FALSE(CheckRecorderSampleBytes(bad, &error)) << bad;
  }
}

// The options a --help lists: "-x" and "--name" of every line under "Options:" that names one
// ("  -x, --name ..." or "      --name ..."; continuation lines are indented further).
std::set<std::string> ListedOptions(const std::string& help) {
  std::set<std::string> listed;
  std::istringstream lines(help.substr(help.find("\nOptions:\n") + 1));
  std::string line;
  while (std::getline(lines, line)) {
    std::string rest;
    if (line.size() > 6 && line.compare(0, 3, "  -") == 0 && line[3] != '-' &&
        line.compare(4, 4, ", --") == 0) {
      listed.insert(line.substr(2, 2));
      rest = line.substr(6);
    } else if (line.compare(0, 8, "      --") == 0) {
      rest = line.substr(6);
    } else {
      continue;
    }
    listed.insert(rest.substr(0, rest.find(' ')));
  }
  return listed;
}

testing::RunResult RunLeakscopeArgs(std::vector<std::string> args) {
  testing::RunOptions options;
  options.args = std::move(args);
  options.timeout_seconds = 20;
  return testing::RunProgram(LEAKSCOPE_BIN, options);
}

// Each command's --help lists exactly the options it accepts: every option any command's --help
// names (and one no command has) is tried on every command, "--name=x" or "-x", and is rejected as
// unknown exactly when that command's --help does not list it.
TEST(CommandHelp, ListsExactlyTheOptionsTheCommandAccepts) {
  const std::vector<std::string> commands = {"report",     "diff",   "trend",  "html", "run",
                                             "spark-conf", "unpack", "attach", "dump", "export"};
  std::map<std::string, std::set<std::string>> listed;
  std::set<std::string> candidates = {"--bogus"};
  for (const std::string& command : commands) {
    testing::RunResult help = RunLeakscopeArgs({command, "--help"});
    ASSERT_EQ(help.exit_code, 0) << command << ": " << help.Describe();
    listed[command] = ListedOptions(help.out);
    EXPECT_TRUE(listed[command].count("--help") && listed[command].count("-h")) << help.out;
    candidates.insert(listed[command].begin(), listed[command].end());
  }
  ASSERT_GT(candidates.size(), 20u);
  for (const std::string& command : commands) {
    for (const std::string& option : candidates) {
      SCOPED_TRACE(command + " " + option);
      bool is_long = option.starts_with("--");
      testing::RunResult r = RunLeakscopeArgs({command, is_long ? option + "=x" : option});
      ASSERT_FALSE(r.timed_out);
      bool rejected = r.err.find("unknown option " + option) != std::string::npos;
      EXPECT_EQ(rejected, listed[command].count(option) == 0) << r.Describe();
    }
  }
}

// trend --fail-on-suspects: exit 3 when there is a suspect, with the same report as without the
// option; 0 when there is none (one dump makes no series); --help documents the codes.
TEST(CommandExitStatus, TrendFailsOnSuspectsOnlyWhenAsked) {
  const std::string golden = std::string(GOLDEN_DIR);
  testing::RunResult plain = RunLeakscopeArgs({"trend", "-q", golden});
  ASSERT_EQ(plain.exit_code, 0) << plain.Describe();
  ASSERT_FALSE(plain.out.empty());
  testing::RunResult failing = RunLeakscopeArgs({"trend", "-q", "--fail-on-suspects", golden});
  EXPECT_EQ(failing.exit_code, 3) << failing.Describe();
  EXPECT_EQ(failing.out, plain.out);
  testing::RunResult json =
      RunLeakscopeArgs({"trend", "-q", "--fail-on-suspects", "--format", "json", golden});
  EXPECT_EQ(json.exit_code, 3) << json.Describe();
  EXPECT_NE(json.out.find("\"suspects\": [\n"), std::string::npos) << json.out;
  testing::RunResult one =
      RunLeakscopeArgs({"trend", "-q", "--fail-on-suspects", golden + "/leakscope.4242.5.dump"});
  EXPECT_EQ(one.exit_code, 0) << one.Describe();
  testing::RunResult help = RunLeakscopeArgs({"trend", "--help"});
  EXPECT_NE(help.out.find("3 with --fail-on-suspects, at least one leak suspect"),
            std::string::npos)
      << help.out;
}

// --weight is for folded stacks only; diff writes collapsed and pprof, trend neither.
TEST(CommandFormats, WeightNeedsCollapsedAndTrendWritesNoProfiles) {
  const std::string dump = std::string(GOLDEN_DIR) + "/leakscope.4242.5.dump";
  const std::string old_dump = std::string(GOLDEN_DIR) + "/leakscope.4242.0.dump";
  testing::RunResult r = RunLeakscopeArgs({"report", "-q", "--weight", "alloc_count", dump});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--weight applies to --format collapsed only"), std::string::npos)
      << r.Describe();
  r = RunLeakscopeArgs({"report", "-q", "-f", "collapsed", "--weight", "bytes", dump});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--weight needs live_bytes, live_count, alloc_bytes or alloc_count, not "
                       "'bytes'"),
            std::string::npos)
      << r.Describe();
  r = RunLeakscopeArgs({"diff", "-q", "-f", "collapsed", "--weight", "live_count", old_dump, dump});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("app+0x3300;app+0x2200;app+0x1100;libleakscope.so+0x1234 16 96\n"),
            std::string::npos)
      << r.out;
  testing::TempDir dir;
  r = RunLeakscopeArgs(
      {"diff", "-q", "-f", "pprof", "-o", dir.path() + "/d.pb.gz", old_dump, dump});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  r = RunLeakscopeArgs(
      {"trend", "-q", "-f", "pprof", "-o", dir.path() + "/t.pb.gz", std::string(GOLDEN_DIR)});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("trend writes text or json"), std::string::npos) << r.Describe();
}

}  // namespace
}  // namespace leakscope::analyzer
