// SPDX-License-Identifier: Apache-2.0
// Corrupt, truncated and foreign files given to the real leakscope binary: exit status 2, one
// line on stderr naming the file, never a crash or a hang.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "dump_format.h"
#include "run_program.h"
#include "temp_dir.h"

namespace leakscope {
namespace {

using testing::ReadFile;
using testing::RunResult;

// Runs the leakscope binary with `args` (words split at spaces); a hang becomes a timeout.
RunResult RunLeakscope(const std::string& args) {
  testing::RunOptions options;
  options.args = testing::Words(args);
  options.timeout_seconds = 20;
  return testing::RunProgram(LEAKSCOPE_BIN, options);
}

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    good_ = ReadFile(std::string(GOLDEN_DIR) + "/leakscope.4242.5.dump");
    ASSERT_GT(good_.size(), 100u);
  }

  std::string Write(const std::string& name, const std::string& bytes) {
    std::string path = temp_.Sub(name);
    EXPECT_TRUE(testing::WriteFile(path, bytes)) << path;
    return path;
  }

  // Expects `report` to reject `bytes` with exit 2 and one line "leakscope report: PATH: ...".
  void ExpectRejected(const std::string& name, const std::string& bytes) {
    std::string path = Write(name, bytes);
    RunResult r = RunLeakscope("report -q " + path);
    EXPECT_EQ(r.exit_code, 2) << name << ": " << r.err;
    EXPECT_EQ(r.out, "") << name;
    EXPECT_TRUE(r.err.starts_with("leakscope report: " + path + ": ")) << name << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << name << ": " << r.err;
  }

  // Offsets where records start in a valid dump.
  std::vector<size_t> RecordBoundaries() const {
    std::vector<size_t> offsets;
    format::FileHeader header;
    memcpy(&header, good_.data(), sizeof(header));
    size_t offset = header.header_bytes;
    while (offset + sizeof(format::RecordHeader) <= good_.size()) {
      offsets.push_back(offset);
      format::RecordHeader record;
      memcpy(&record, good_.data() + offset, sizeof(record));
      offset += sizeof(record) + record.payload_bytes;
    }
    return offsets;
  }

  testing::TempDir temp_;
  const std::string& dir_ = temp_.path();
  std::string good_;
};

TEST_F(BadInputTest, TheGoodDumpIsAccepted) {
  RunResult r = RunLeakscope("report -q " + Write("good.dump", good_));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(BadInputTest, TruncatedAtEveryRecordBoundaryAndInside) {
  std::vector<size_t> boundaries = RecordBoundaries();
  ASSERT_GE(boundaries.size(), 10u);
  ExpectRejected("empty.dump", "");
  ExpectRejected("header-only.dump", good_.substr(0, 8));
  for (size_t offset : boundaries) {
    ExpectRejected("cut-at-" + std::to_string(offset) + ".dump", good_.substr(0, offset));
    ExpectRejected("cut-in-header-" + std::to_string(offset) + ".dump",
                   good_.substr(0, offset + 8));
    if (offset + 16 + 4 < good_.size()) {
      ExpectRejected("cut-in-payload-" + std::to_string(offset) + ".dump",
                     good_.substr(0, offset + 16 + 4));
    }
  }
  ExpectRejected("minus-one.dump", good_.substr(0, good_.size() - 1));
}

TEST_F(BadInputTest, ForeignAndAlteredFiles) {
  std::mt19937 rng(42);
  std::string random(4096, '\0');
  for (char& c : random) c = static_cast<char>(rng());
  ExpectRejected("random.dump", random);
  ExpectRejected("text.dump", "hello, this is not a dump\n");

  std::string wrong_version = good_;
  uint32_t version = 99;
  memcpy(&wrong_version[8], &version, sizeof(version));
  ExpectRejected("version.dump", wrong_version);

  std::string flipped = good_;
  flipped[good_.size() / 2] ^= 0x40;
  ExpectRejected("flipped.dump", flipped);

  // A record claiming an enormous payload must not make the reader allocate or loop.
  std::string huge = good_;
  size_t first = RecordBoundaries()[0];
  uint64_t payload = UINT64_MAX - 7;
  memcpy(&huge[first + 8], &payload, sizeof(payload));
  ExpectRejected("huge.dump", huge);
}

TEST_F(BadInputTest, ADumpOfANewerFormatNamesBothVersionsAndItsRecorder) {
  // The Java golden dumps carry their recorder's version (kRecorder).
  std::string newer = ReadFile(std::string(GOLDEN_DIR) + "/../golden_java/leakscope.6161.2.dump");
  ASSERT_GT(newer.size(), 100u);
  uint32_t version = format::kVersion + 1;
  memcpy(&newer[8], &version, sizeof(version));
  ExpectRejected("newer.dump", newer);
  RunResult r = RunLeakscope("report " + Write("newer.dump", newer));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "leakscope report: " + dir_ +
                       "/newer.dump: dump format version 4 is newer than this leakscope reads "
                       "(version 3): written by leakscope 0.1.0 (git 1a2b3c4); analyze it with "
                       "that leakscope or a later one\n");
}

TEST_F(BadInputTest, MissingFileIsOneLine) {
  RunResult r = RunLeakscope("report " + dir_ + "/absent.dump");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(BadInputTest, TrendAnalysesTheGoodFilesOfASeries) {
  std::string golden = GOLDEN_DIR;
  for (int seq = 0; seq < 6; ++seq) {
    std::string name = "leakscope.4242." + std::to_string(seq) + ".dump";
    std::string bytes = ReadFile(golden + "/" + name);
    if (seq == 3) bytes.resize(bytes.size() / 2);
    Write(name, bytes);
  }
  Write("junk.dump", "junk");
  RunResult r = RunLeakscope("trend -q " + dir_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 2) << r.err;
  EXPECT_NE(r.out.find("(5 dumps read, 2 unreadable)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("app+0x1100"), std::string::npos) << r.out;
}

TEST_F(BadInputTest, UnpackReportsInputsWithoutDumps) {
  Write("stdout", "LogType:stdout\nLogContents:\nhello\n");
  RunResult r = RunLeakscope("unpack " + dir_ + "/stdout -o " + dir_ + "/out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "leakscope unpack: no dumps found in 1 file\n");
  // A truncated dump inside: named with its offset; the good one is still written.
  Write("mixed", "x\n" + good_ + "y\n" + good_.substr(0, good_.size() / 2));
  r = RunLeakscope("unpack " + dir_ + "/mixed -o " + dir_ + "/out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/mixed: dump at offset " + std::to_string(good_.size() + 4) + ": "),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/out/mixed/leakscope.4242.5.dump"));
}

TEST_F(BadInputTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunLeakscope("").exit_code, 2);
  EXPECT_EQ(RunLeakscope("frobnicate").exit_code, 2);
  EXPECT_EQ(RunLeakscope("report").exit_code, 2);
  EXPECT_EQ(RunLeakscope("report --format xml x.dump").exit_code, 2);
  EXPECT_EQ(RunLeakscope("report --top many x.dump").exit_code, 2);
  EXPECT_EQ(RunLeakscope("diff only-one.dump").exit_code, 2);
  EXPECT_EQ(RunLeakscope("trend").exit_code, 2);
  EXPECT_EQ(RunLeakscope("run --interval soon -- true").exit_code, 2);
  EXPECT_EQ(RunLeakscope("run --interval 50ms -- true").exit_code, 2);
  EXPECT_EQ(RunLeakscope("run --sample-bytes 0 -- true").exit_code, 2);
  EXPECT_EQ(RunLeakscope("run").exit_code, 2);
  EXPECT_EQ(RunLeakscope("unpack " + dir_).exit_code, 2);  // no -o
  for (const char* command : {"report", "diff", "trend", "run", "spark-conf", "unpack"}) {
    RunResult r = RunLeakscope(std::string(command) + " --help");
    EXPECT_EQ(r.exit_code, 0) << command;
    EXPECT_TRUE(r.out.starts_with(std::string("Usage: leakscope ") + command)) << r.out;
  }
  RunResult version = RunLeakscope("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(version.out.starts_with("leakscope ")) << version.out;
}

// `run --dir` naming a directory that is not ours alone (world-writable, like /tmp): the recorder
// writes into its private subdirectory there, and `run` must count and name the dumps where they
// Each command's --help names exactly the formats the command writes: a format is listed on the
// --format line if and only if the command accepts it.
TEST_F(BadInputTest, HelpNamesExactlyTheFormatsEachCommandWrites) {
  const std::string golden = GOLDEN_DIR;
  const std::vector<std::pair<std::string, std::string>> commands = {
      {"report", golden + "/leakscope.4242.5.dump"},
      {"diff", golden + "/leakscope.4242.0.dump " + golden + "/leakscope.4242.5.dump"},
      {"trend", golden + "/leakscope.4242.0.dump " + golden + "/leakscope.4242.5.dump"}};
  for (const auto& [command, inputs] : commands) {
    SCOPED_TRACE(command);
    RunResult help = RunLeakscope(command + " --help");
    ASSERT_EQ(help.exit_code, 0);
    size_t at = help.out.find("--format FMT");
    ASSERT_NE(at, std::string::npos) << help.out;
    std::string line = help.out.substr(at, help.out.find('\n', at) - at);
    for (const char* format : {"text", "json", "collapsed", "pprof"}) {
      SCOPED_TRACE(format);
      bool listed = line.find(format) != std::string::npos;
      RunResult run =
          RunLeakscope(command + " -q --format " + format + " -o " + dir_ + "/out " + inputs);
      EXPECT_EQ(listed, run.exit_code == 0) << line << "\n" << run.err;
    }
  }
}

// are, not report none.
TEST_F(BadInputTest, RunFindsTheDumpsInTheRecordersPrivateSubdirectory) {
  std::string shared = dir_ + "/shared";
  ASSERT_EQ(mkdir(shared.c_str(), 0777), 0);
  ASSERT_EQ(chmod(shared.c_str(), 01777), 0);
  RunResult r = RunLeakscope("run --dir " + shared + " -- /bin/true");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string mine = shared + "/leakscope-" + std::to_string(getuid());
  EXPECT_NE(r.err.find("; 1 dump of pid "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" in " + mine + "\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("leakscope: analyse with: leakscope trend " + mine + "\n"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace leakscope
