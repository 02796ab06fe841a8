// SPDX-License-Identifier: Apache-2.0
// Fleets of executors: trend read in parallel gives the serial output byte for byte; the progress
// line appears only on a terminal; `export --format jsonl` writes the documented rows with a
// site key that is the same across processes, runs and machines for the same frames.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "analysis/export_rows.h"
#include "analysis/site_key.h"
#include "cli/progress_line.h"
#include "json_value.h"
#include "run_program.h"
#include "symbolize/frame.h"
#include "temp_dir.h"

namespace leakscope::analyzer {
namespace {

using leakscope::testing::JsonValue;
using leakscope::testing::ParseJson;
using leakscope::testing::RunOptions;
using leakscope::testing::RunProgram;
using leakscope::testing::RunResult;

// make_fleet_dumps: executor p (0-based) leaks at sites 0 mod 100 when p % 4 == 0.
class FleetTest : public ::testing::Test {
 protected:
  void Generate(int processes, int dumps, int sites) {
    RunResult r = RunProgram(
        FLEET_GENERATOR,
        {.args = {dir_, std::to_string(processes), std::to_string(dumps), std::to_string(sites)}});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
  }

  static RunResult Leakscope(std::vector<std::string> args) {
    return RunProgram(LEAKSCOPE_BIN, {.args = std::move(args), .timeout_seconds = 120});
  }

  leakscope::testing::TempDir temp_;
  const std::string& dir_ = temp_.path();
};

TEST_F(FleetTest, ParallelTrendIsByteIdenticalToSerial) {
  // 9 processes of uneven work (the last one's series is read while others are merged), 300
  // sites: 3 leakers, growing in executors 1, 5 and 9.
  Generate(9, 12, 300);
  for (const char* format : {"json", "text"}) {
    RunResult serial =
        Leakscope({"trend", "-q", "--all", "--top", "0", "--format", format, "--jobs", "1", dir_});
    ASSERT_EQ(serial.exit_code, 0) << serial.Describe();
    for (const char* jobs : {"2", "4", "9"}) {
      RunResult parallel = Leakscope(
          {"trend", "-q", "--all", "--top", "0", "--format", format, "--jobs", jobs, dir_});
      ASSERT_EQ(parallel.exit_code, 0) << parallel.Describe();
      EXPECT_EQ(parallel.out, serial.out) << format << " with --jobs " << jobs;
      EXPECT_EQ(parallel.err, "");
    }
  }
  RunResult json = Leakscope({"trend", "-q", "--top", "0", "--format", "json", dir_});
  JsonValue v;
  ASSERT_TRUE(ParseJson(json.out, &v));
  EXPECT_EQ(v["dumps_read"].UInt(), 9u * 12);
  ASSERT_EQ(v["processes"].size(), 9u);
  for (size_t p = 0; p < 9; ++p) EXPECT_EQ(v["processes"][p]["pid"].Int(), int64_t(10001 + p));
  ASSERT_EQ(v["suspects"].size(), 3u) << json.out.substr(0, 4000);
  for (const JsonValue& s : v["suspects"].items()) {
    EXPECT_EQ(s["processes"].UInt(), 3u);
    EXPECT_EQ(s["processes_seen"].UInt(), 9u);
  }
}

// html builds its per-process series in the trend's workers: the page is the same whatever
// their number.
TEST_F(FleetTest, ParallelHtmlIsByteIdenticalToSerial) {
  Generate(9, 12, 300);
  std::string serial_page = temp_.Sub("serial.html");
  RunResult serial = Leakscope({"html", "-q", "--jobs", "1", "-o", serial_page, dir_});
  ASSERT_EQ(serial.exit_code, 0) << serial.Describe();
  const std::string serial_html = leakscope::testing::ReadFile(serial_page);
  EXPECT_NE(serial_html.find("\"suspect_count\": 3,"), std::string::npos);
  for (const char* jobs : {"2", "4"}) {
    std::string page = temp_.Sub(std::string("parallel-") + jobs + ".html");
    RunResult parallel = Leakscope({"html", "-q", "--jobs", jobs, "-o", page, dir_});
    ASSERT_EQ(parallel.exit_code, 0) << parallel.Describe();
    const std::string html = leakscope::testing::ReadFile(page);
    EXPECT_TRUE(html == serial_html) << "html with --jobs " << jobs << " differs from --jobs 1";
  }
}

TEST(ProgressLineTest, WritesNothingWhenNotATerminal) {
  FILE* out = tmpfile();
  ASSERT_NE(out, nullptr);
  {
    ProgressLine progress("trend", out, /*terminal=*/false, std::chrono::milliseconds(0));
    progress.Update(1, 10);
    progress.Update(10, 10);
    EXPECT_FALSE(progress.shown());
  }
  EXPECT_EQ(ftell(out), 0);
  fclose(out);
}

TEST(ProgressLineTest, WritesNothingBeforeTheDelay) {
  FILE* out = tmpfile();
  ASSERT_NE(out, nullptr);
  {
    ProgressLine progress("trend", out, /*terminal=*/true, std::chrono::hours(1));
    progress.Update(10, 10);
  }
  EXPECT_EQ(ftell(out), 0);
  fclose(out);
}

TEST(ProgressLineTest, OnATerminalShowsCountsAndErasesTheLine) {
  FILE* out = tmpfile();
  ASSERT_NE(out, nullptr);
  ProgressLine progress("html", out, /*terminal=*/true, std::chrono::milliseconds(0));
  progress.Update(3, 10);
  progress.Update(10, 10);  // the last count is shown however soon it follows
  EXPECT_TRUE(progress.shown());
  progress.Clear();
  std::string text(ftell(out), '\0');
  rewind(out);
  ASSERT_EQ(fread(text.data(), 1, text.size(), out), text.size());
  EXPECT_EQ(text,
            "\rleakscope html: read 3 of 10 dumps\rleakscope html: read 10 of 10 dumps\r\033[K");
  fclose(out);
}

// Not on a terminal, the commands write only their own messages on stderr.
TEST_F(FleetTest, NoProgressOnStderrWhenItIsNoTerminal) {
  Generate(2, 3, 20);
  for (std::vector<std::string> args :
       {std::vector<std::string>{"trend", "-q", dir_},
        std::vector<std::string>{"export", "-q", "--format", "jsonl", dir_},
        std::vector<std::string>{"html", "-q", "-o", temp_.path() + "/r.html", dir_}}) {
    RunResult r = Leakscope(args);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    EXPECT_EQ(r.err, "") << args[0];
  }
}

// FNV-1a over the canonical text docs/json.md specifies, written out here independently.
uint64_t Fnv1a(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

TEST(SiteKeyTest, IsFnv1aOfTheDocumentedTextAndPinned) {
  FrameTable frames;
  Frame native{.function = "inflateInit2_",
               .module = "/usr/lib/x86_64-linux-gnu/libz.so.1",
               .file = "/build/zlib/inflate.c",
               .line = 120};
  Frame unnamed{.module = "/opt/app/libapp.so", .address = 0x1a2b};
  Frame java{.kind = FrameKind::kJava,
             .function = "java.util.zip.Inflater.<init>",
             .file = "Inflater.java",
             .line = 79};
  std::vector<uint32_t> stack = {frames.Intern(native), frames.Intern(unnamed),
                                 frames.Intern(java)};
  uint64_t key = SiteKey(frames, stack);
  EXPECT_EQ(key, Fnv1a("native\tlibz.so.1\tinflateInit2_\t0\tinflate.c\t120\t0\n"
                       "native\tlibapp.so\t\t1a2b\t\t0\t0\n"
                       "java\t\tjava.util.zip.Inflater.<init>\t0\tInflater.java\t79\t0\n"));
  // Pinned: a change of the text or the hash would orphan every key already exported.
  EXPECT_EQ(SiteKeyHex(key), "489f83f29754e029");
  // Where the module lies on this machine does not matter; which frames do.
  Frame moved = native;
  moved.module = "/lib64/libz.so.1";
  EXPECT_EQ(SiteKey(frames, std::vector<uint32_t>{frames.Intern(moved), stack[1], stack[2]}), key);
  EXPECT_NE(SiteKey(frames, std::vector<uint32_t>{stack[0], stack[2]}), key);
}

TEST_F(FleetTest, ExportWritesOneRowPerProcessDumpAndSite) {
  Generate(2, 3, 5);
  RunResult r = Leakscope({"export", "-q", "--format", "jsonl", dir_});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  std::istringstream lines(r.out);
  std::string line;
  std::vector<JsonValue> rows;
  while (std::getline(lines, line)) ASSERT_TRUE(ParseJson(line, &rows.emplace_back()));
  // 5 distinct stacks in each of 3 dumps of 2 processes.
  ASSERT_EQ(rows.size(), 2u * 3 * 5);
  const std::vector<std::string> fields = {
      "pid",          "instance_id",       "host", "executor",   "seq",
      "time_unix_ns", "time_monotonic_ns", "site", "live_bytes", "live_count"};
  std::map<int64_t, std::vector<std::string>> keys;  // pid -> site keys, in row order
  for (size_t i = 0; i < rows.size(); ++i) {
    const JsonValue& row = rows[i];
    size_t process = i / 15, dump = i % 15 / 5;
    std::vector<std::string> expected = fields;
    if (dump == 0) expected.push_back("frames");  // a site's first row in its process
    EXPECT_EQ(row.Keys(), expected) << line;
    EXPECT_EQ(row["pid"].Int(), int64_t(10001 + process));
    EXPECT_EQ(row["instance_id"].String(), process == 0 ? "f1ee700000000000" : "f1ee700000000001");
    EXPECT_EQ(row["host"].String(), process == 0 ? "worker-1.example.net" : "worker-2.example.net");
    EXPECT_EQ(row["executor"].String(), std::to_string(process + 1));
    EXPECT_EQ(row["seq"].UInt(), dump);
    EXPECT_EQ(row["time_unix_ns"].Int(),
              1'767'000'000'000'000'000 + int64_t(dump) * 300'000'000'000);
    EXPECT_EQ(row["site"].String().size(), 16u);
    // The generator's sites hold 1 to 8 samples of 4 KiB, each standing for 32 allocations.
    EXPECT_EQ(row["live_bytes"].UInt() % (4096 * 32), 0u);
    EXPECT_EQ(row["live_bytes"].UInt() / 4096, row["live_count"].UInt());
    keys[row["pid"].Int()].push_back(row["site"].String());
    if (dump == 0) {
      // Java frames after the native ones up to the JVM's code; Stage0.step0 is site 0's.
      const JsonValue& frames = row["frames"];
      ASSERT_GE(frames.size(), 4u);
      // The hook: one of the generator's four return addresses in the recorder, unnamed.
      const std::set<std::string> hooks = {
          "libleakscope.so+0x1000 (libleakscope.so)", "libleakscope.so+0x1040 (libleakscope.so)",
          "libleakscope.so+0x1080 (libleakscope.so)", "libleakscope.so+0x10c0 (libleakscope.so)"};
      EXPECT_EQ(hooks.count(frames[0].String()), 1u) << frames[0].String();
    }
  }
  EXPECT_EQ(rows[0]["frames"][rows[0]["frames"].size() - 1].String().rfind("org.example.fleet.", 0),
            0u);
  // The same sites in both executors, under their own addresses: the same keys, in the same
  // order; five different sites, five keys.
  EXPECT_EQ(keys[10001], keys[10002]);
  EXPECT_EQ(std::set<std::string>(keys[10001].begin(), keys[10001].end()).size(), 5u);
  // And the same again in another run.
  RunResult again = Leakscope({"export", "-q", "--format", "jsonl", dir_});
  EXPECT_EQ(again.out, r.out);
}

TEST(ExecutorLabelTest, IsSparksExecutorIdElseNothing) {
  ProcessInfo process;
  process.args = {"java",
                  "-cp",
                  "x",
                  "org.apache.spark.executor.YarnCoarseGrainedExecutorBackend",
                  "--driver-url",
                  "spark://d:1",
                  "--executor-id",
                  "17",
                  "--hostname",
                  "h"};
  EXPECT_EQ(ExecutorLabel(process), "17");
  process.args = {"java", "KubernetesExecutorBackend", "--executor-id=4"};
  EXPECT_EQ(ExecutorLabel(process), "4");
  process.args = {"java", "-jar", "app.jar"};
  EXPECT_EQ(ExecutorLabel(process), std::nullopt);
  // argv[0] is the program, never a flag; a flag with no value names nothing.
  process.args = {"--executor-id", "3"};
  EXPECT_EQ(ExecutorLabel(process), std::nullopt);
  process.args = {"java", "--executor-id"};
  EXPECT_EQ(ExecutorLabel(process), std::nullopt);
}

TEST_F(FleetTest, ExportNeedsTheJsonlFormat) {
  Generate(1, 1, 1);
  RunResult none = Leakscope({"export", dir_});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("leakscope export: missing --format jsonl"), std::string::npos);
  RunResult other = Leakscope({"export", "--format", "json", dir_});
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find("unknown format 'json' (expected jsonl)"), std::string::npos);
  EXPECT_EQ(other.out, "");
}

}  // namespace
}  // namespace leakscope::analyzer
