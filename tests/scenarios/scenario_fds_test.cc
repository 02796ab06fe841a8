// Scenarios where the program owns the descriptor numbers: it closes and reuses them under the
// recorder. Our bytes must never land in the program's files, and only complete dumps are
// published.
#include <sys/stat.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "scenario_fixture.h"

namespace leakscope::testing {
namespace {

std::string Contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Descriptors, ProgramClosingAllFdsGetsOnlyItsOwnRecordsAndEveryDumpIsComplete) {
  TempDir dir;
  const std::string dumps = dir.Sub("dumps");
  ASSERT_EQ(mkdir(dumps.c_str(), 0700), 0);
  const std::string records = dir.Sub("records");
  // 100 ms is the shortest interval the recorder accepts.
  RunOptions options = Exact({records, "2500"}, {{"LEAKSCOPE_INTERVAL", "100ms"}});
  options.env["LEAKSCOPE_DIR"] = dumps;
  RunResult run = RunProgram(Program("fd_churn"), options);
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_TRUE(CleanExit(run)) << "no dump may fail either";

  static constexpr char kRecord[] = "program record\n";
  const std::string text = Contents(records);
  EXPECT_EQ(text.find("LKSCDUMP"), std::string::npos)
      << "a dump was written into the program's file";
  ASSERT_FALSE(text.empty());
  size_t bad = 0;
  for (size_t at = 0; at < text.size(); at += sizeof(kRecord) - 1) {
    if (text.compare(at, sizeof(kRecord) - 1, kRecord) != 0) ++bad;
  }
  EXPECT_EQ(text.size() % (sizeof(kRecord) - 1), 0u);
  EXPECT_EQ(bad, 0u) << "of " << text.size() / (sizeof(kRecord) - 1) << " records";

  // Every name in the directory is a published dump (no temporary left behind), and every
  // published dump reads back whole: header, records and checksum.
  std::vector<std::string> names = ListDir(dumps);
  const std::regex dump_name("leakscope\\." + std::to_string(run.pid) + "\\.[0-9]+\\.dump");
  for (const std::string& name : names) EXPECT_TRUE(std::regex_match(name, dump_name)) << name;
  std::vector<DumpFile> files = DumpsOf(dumps, run.pid);
  // 2.5 s at 100 ms: many periodic dumps even on a loaded machine; they are what races.
  EXPECT_GE(files.size(), 8u);
  for (const DumpFile& file : files) {
    Dump dump;
    EXPECT_TRUE(LoadDump(file.path, &dump));
  }
}

TEST(Descriptors, WarningsDoNotGoToAFileTheProgramOpenedAsFd2) {
  TempDir dir;
  const std::string dumps = dir.Sub("dumps");
  ASSERT_EQ(mkdir(dumps.c_str(), 0700), 0);
  std::vector<std::string> files = {dir.Sub("file0"), dir.Sub("file1"), dir.Sub("file2")};
  RunOptions options = Exact({dumps, files[0], files[1], files[2]});
  options.env["LEAKSCOPE_DIR"] = dumps;
  RunResult run = RunProgram(Program("stderr_reopened"), options);
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Contents(files[i]), "daemon file " + std::to_string(i) + "\n");
  }
  // The stderr the program started with is closed: the warning goes nowhere.
  EXPECT_EQ(run.err, "");
}

TEST(Descriptors, TheSameWarningReachesAnUnchangedStderr) {
  TempDir dir;
  const std::string dumps = dir.Sub("dumps");
  ASSERT_EQ(mkdir(dumps.c_str(), 0700), 0);
  RunOptions options = Exact({dumps, "-"});
  options.env["LEAKSCOPE_DIR"] = dumps;
  RunResult run = RunProgram(Program("stderr_reopened"), options);
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_TRUE(std::regex_match(
      run.err, std::regex("leakscope: dump directory .* had disappeared; made it again\n")))
      << run.err;
}

}  // namespace
}  // namespace leakscope::testing
// SPDX-License-Identifier: Apache-2.0
