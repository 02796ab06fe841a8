// Scenarios where the program owns the descriptor numbers: it closes and reuses them under the
// recorder. Our bytes must never land in the program's files.
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
      run.err, std::regex("leakscope: cannot create .*: No such file or directory\n")))
      << run.err;
}

}  // namespace
}  // namespace leakscope::testing
