// SPDX-License-Identifier: Apache-2.0
// The HTML report's C++ side: the flame tree, the JSON the page embeds, and the command line.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "analysis/dump_discovery.h"
#include "analysis/trend.h"
#include "count_opens.h"
#include "html/flame_tree.h"
#include "html/html_data.h"
#include "html/html_page.h"
#include "json_value.h"
#include "output/json_writer.h"
#include "run_program.h"
#include "symbolize/frame.h"
#include "symbolize/symbolizer.h"
#include "temp_dir.h"
#include "test_dump_builder.h"

namespace leakscope::analyzer {
namespace {

std::string Identity(const FlameTree& tree, uint64_t min_value) {
  std::string out;
  JsonWriter json(&out);
  tree.WriteJson(
      min_value, [](uint32_t id) { return id; }, &json);
  return out;
}

TEST(FlameTree, MergesStacksFromTheOutermostFrame) {
  FlameTree tree;
  // Innermost first, as StackTable stores them: main(1) -> f(2) -> malloc(9).
  tree.Add(std::vector<uint32_t>{9, 2, 1}, 100);
  tree.Add(std::vector<uint32_t>{9, 3, 1}, 300);
  tree.Add(std::vector<uint32_t>{9, 2, 1}, 50);
  tree.Add(std::vector<uint32_t>{4}, 0);  // nothing live: not a node
  EXPECT_EQ(tree.total(), 450u);
  EXPECT_EQ(tree.size(), 5u);
  // Children by value descending.
  EXPECT_EQ(Identity(tree, 0), "[[1, 450, [[3, 300, [[9, 300]]], [2, 150, [[9, 150]]]]]]\n");
}

TEST(FlameTree, ThresholdKeepsAtMostTheGivenNodesAsWholePaths) {
  FlameTree tree;
  tree.Add(std::vector<uint32_t>{9, 2, 1}, 100);
  tree.Add(std::vector<uint32_t>{9, 3, 1}, 300);
  tree.Add(std::vector<uint32_t>{5, 1}, 10);
  EXPECT_EQ(tree.ThresholdFor(0), 0u);
  EXPECT_EQ(tree.ThresholdFor(6), 0u);
  // Values 410, 300, 300, 100, 100, 10: three nodes means everything above 100.
  EXPECT_EQ(tree.ThresholdFor(3), 101u);
  EXPECT_EQ(Identity(tree, tree.ThresholdFor(3)), "[[1, 410, [[3, 300, [[9, 300]]]]]]\n");
  // A tie at the cut leaves out every node of that value.
  EXPECT_EQ(tree.ThresholdFor(4), 101u);
  EXPECT_EQ(tree.ThresholdFor(5), 11u);
}

TEST(HtmlPage, EscapesEveryLessThanInTheData) {
  EXPECT_EQ(EscapeJsonForScript(R"({"f": "</script><!--x"})"),
            R"({"f": "\u003c/script>\u003c!--x"})");
}

TEST(HtmlPage, InlinesDataScriptAndStyleAndForbidsFetches) {
  std::string page;
  WriteHtmlPage("{\"command\": \"html\"}\n", &page);
  EXPECT_EQ(page.rfind("<!DOCTYPE html>\n", 0), 0u);
  EXPECT_NE(page.find("content=\"default-src 'none'; script-src 'unsafe-inline'; "
                      "style-src 'unsafe-inline'; img-src data:\""),
            std::string::npos);
  EXPECT_NE(page.find("<script type=\"application/json\" id=\"leakscope-data\">\n"
                      "{\"command\": \"html\"}\n</script>"),
            std::string::npos);
  EXPECT_NE(page.find("<pre id=\"errors\"></pre>"), std::string::npos);
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("<script src"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(page.substr(page.size() - 16), "</body>\n</html>\n");
}

std::vector<std::string> GoldenDumps(const std::string& dir = GOLDEN_DIR) {
  std::vector<std::string> files;
  std::string error;
  EXPECT_TRUE(ExpandDumpPath(dir, &files, &error)) << error;
  return files;
}

SymbolizerOptions QuietSymbolizer() {
  SymbolizerOptions options;
  options.warnings = nullptr;
  return options;
}

// The page's data for `files`, which must all be readable, and how many dumps it read.
std::string HtmlDataOf(const std::vector<std::string>& files, size_t* dumps_read) {
  Symbolizer symbolizer(QuietSymbolizer());
  std::string json;
  std::vector<std::string> errors;
  *dumps_read = BuildHtmlData(files, HtmlOptions{}, &symbolizer, &json, &errors);
  EXPECT_TRUE(errors.empty());
  return json;
}

// Checked through a JSON reader: values and order, whatever the writer's indentation.
TEST(HtmlData, RanksSuspectsAsTrendAndKeepsOnePointPerDump) {
  std::vector<std::string> files = GoldenDumps();
  size_t dumps_read = 0;
  testing::JsonValue data;
  ASSERT_TRUE(testing::ParseJson(HtmlDataOf(files, &dumps_read), &data));
  EXPECT_EQ(dumps_read, 10u);
  EXPECT_EQ(data["leakscope_json"].UInt(), 1u);
  EXPECT_EQ(data["command"].String(), "html");
  EXPECT_EQ(data["dumps_read"].UInt(), 10u);
  EXPECT_EQ(data["errors"].size(), 0u);

  Symbolizer trend_symbolizer(QuietSymbolizer());
  TrendResult trend = AnalyzeTrend(files, TrendOptions{}, &trend_symbolizer, {});
  ASSERT_EQ(trend.suspects.size(), 3u);
  EXPECT_EQ(data["suspect_count"].UInt(), 3u);
  // The suspects in trend's order, each with its allocating caller and its whole stack.
  const testing::JsonValue& suspects = data["suspects"];
  ASSERT_EQ(suspects.size(), trend.suspects.size());
  for (size_t i = 0; i < trend.suspects.size(); ++i) {
    const SuspectTrend& s = trend.suspects[i];
    const testing::JsonValue& suspect = suspects[i];
    EXPECT_EQ(suspect["rank"].UInt(), i + 1);
    std::span<const uint32_t> stack = trend_symbolizer.stacks().Get(s.stack);
    size_t caller_index = CallerIndex(trend_symbolizer.frames(), stack);
    EXPECT_EQ(suspect["caller_index"].Int(), static_cast<int64_t>(caller_index));
    ASSERT_EQ(suspect["frames"].size(), stack.size()) << "suspect " << i;
    for (size_t f = 0; f < stack.size(); ++f) {
      EXPECT_EQ(suspect["frames"][f]["function"].String(),
                trend_symbolizer.frames().Get(stack[f]).DisplayName())
          << "suspect " << i << ", frame " << f;
    }
    EXPECT_EQ(suspect["live_bytes_last"].UInt(), s.live_bytes_last);
  }
  // The top suspect (app+0x1100) grows by 1 MiB a minute in pid 4242 and 640 KiB in pid 5151.
  EXPECT_EQ(suspects[0]["frames"][suspects[0]["caller_index"].UInt()]["function"].String(),
            "app+0x1100");
  const testing::JsonValue& series = suspects[0]["series"];
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].Keys(), (std::vector<std::string>{"process", "live_bytes"}));
  EXPECT_EQ(series[0]["process"].UInt(), 0u);
  EXPECT_EQ(series[0]["live_bytes"].UInts(),
            (std::vector<uint64_t>{1048576, 2097152, 3145728, 4194304, 5242880, 6291456}));
  EXPECT_EQ(series[1]["process"].UInt(), 1u);
  EXPECT_EQ(series[1]["live_bytes"].UInts(),
            (std::vector<uint64_t>{655360, 1310720, 1966080, 2621440}));
  // One point per dump, times from the process's first dump.
  const testing::JsonValue& processes = data["processes"];
  ASSERT_EQ(processes.size(), 2u);
  EXPECT_EQ(processes[0]["pid"].UInt(), 4242u);
  EXPECT_EQ(processes[0]["points"]["time_ns"].UInts(),
            (std::vector<uint64_t>{0, 60000000000, 120000000000, 180000000000, 240000000000,
                                   300000000000}));
  EXPECT_EQ(processes[0]["points"]["seq"].UInts(), (std::vector<uint64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(processes[1]["pid"].UInt(), 5151u);
  EXPECT_EQ(processes[1]["points"]["seq"].UInts(), (std::vector<uint64_t>{0, 1, 2, 3}));
  // The live flame graph holds every live byte of both last dumps (13.7 MiB + 2.58 MiB).
  EXPECT_EQ(data["flame"]["live"]["total"].UInt(), 17121064u);
}

// The page's data comes from one reading of each dump, made by the trend (issue 15): its header
// when the dumps are grouped by process, then the whole dump; every dump but a process's first
// is also opened once for a read-ahead hint (posix_fadvise, no read) while the one before it is
// parsed. html used to read and symbolize every dump again for its per-dump series.
TEST(HtmlData, ReadsEveryDumpOnce) {
  std::vector<std::string> files = GoldenDumps();
  ASSERT_EQ(files.size(), 10u);
  size_t dumps_read = 0;
  testing::StartCountingOpens();
  HtmlDataOf(files, &dumps_read);
  std::map<std::string, int> opens = testing::StopCountingOpens();
  EXPECT_EQ(dumps_read, 10u);
  for (const std::string& file : files) {
    bool first_of_its_process = file.ends_with(".0.dump");
    EXPECT_EQ(opens[file], first_of_its_process ? 2 : 3) << file;
  }
}

// A process's Java walk counters travel with it, as in `trend --format json`.
TEST(HtmlData, CarriesEachProcessJavaWalks) {
  size_t dumps_read = 0;
  testing::JsonValue data;
  ASSERT_TRUE(testing::ParseJson(
      HtmlDataOf(GoldenDumps(std::string(GOLDEN_DIR) + "/../golden_java"), &dumps_read), &data));
  EXPECT_EQ(dumps_read, 3u);
  ASSERT_EQ(data["processes"].size(), 1u);
  const testing::JsonValue& java = data["processes"][0]["java"];
  ASSERT_EQ(java.type(), testing::JsonValue::Type::kObject);
  EXPECT_TRUE(java["agent_loaded"].Bool());
  const testing::JsonValue& walks = java["walks"];
  std::vector<std::string> keys = walks.Keys();
  ASSERT_GE(keys.size(), 5u);
  EXPECT_EQ(std::vector<std::string>(keys.begin(), keys.begin() + 5),
            (std::vector<std::string>{"frames", "no_java_frame", "no_class_load", "gc_active",
                                      "unknown_not_java"}));
  EXPECT_EQ(walks["frames"].UInt(), 300u);
  EXPECT_EQ(walks["no_java_frame"].UInt(), 0u);
  EXPECT_EQ(walks["no_class_load"].UInt(), 0u);
  EXPECT_EQ(walks["gc_active"].UInt(), 2u);
  EXPECT_EQ(walks["unknown_not_java"].UInt(), 51u);
  EXPECT_EQ(java["unencodable"].UInt(), 1u);
}

// The suspect table shows each suspect's ages (report.js ageNote) from the fields trend writes:
// null for the golden dumps (format version 1), the last dump's ages for version 2.
TEST(HtmlData, CarriesEachSuspectsAgesAtTheLastDump) {
  size_t dumps_read = 0;
  testing::JsonValue golden;
  ASSERT_TRUE(testing::ParseJson(HtmlDataOf(GoldenDumps(), &dumps_read), &golden));
  ASSERT_GT(golden["suspects"].size(), 0u);
  EXPECT_TRUE(golden["suspects"][0]["median_age_s"].IsNull());
  EXPECT_TRUE(golden["suspects"][0]["oldest_age_s"].IsNull());

  testing::TempDir dir;
  for (uint64_t seq = 0; seq < 3; ++seq) {
    Dump dump = testing::ProcessDump(7, 1, seq, 0);
    dump.settings.sample_bytes = 1;
    testing::AddModule(&dump, "/nonexistent/app", 0x7f0000000000, 0x100000, 0);
    uint64_t bytes = (seq + 1) << 20;
    SiteInfo& leak = testing::AddSite(&dump, 1, {0x7f0000001000}, {bytes >> 10, bytes});
    leak.ages = {.median_age_s = 60 * uint32_t(seq),
                 .oldest_age_s = 120 * uint32_t(seq),
                 .older_than_est_bytes = {}};
    ASSERT_FALSE(testing::WriteDumpInto(dir.path(), dump).empty());
  }
  testing::JsonValue data;
  ASSERT_TRUE(testing::ParseJson(HtmlDataOf(GoldenDumps(dir.path()), &dumps_read), &data));
  ASSERT_EQ(data["suspects"].size(), 1u);
  EXPECT_EQ(data["suspects"][0]["median_age_s"].UInt(), 120u);
  EXPECT_EQ(data["suspects"][0]["oldest_age_s"].UInt(), 240u);
}

// The leakscope binary's exit code (-1 when it did not exit), its output discarded.
int RunLeakscope(const std::string& args) {
  testing::RunOptions options;
  options.args = testing::Words(args);
  testing::RunResult r = testing::RunProgram(LEAKSCOPE_BIN, options);
  return r.exit_code;
}

TEST(HtmlCommand, NeedsAnOutputFileAndDumps) {
  EXPECT_EQ(RunLeakscope("html --help"), 0);
  EXPECT_EQ(RunLeakscope(absl::StrCat("html ", GOLDEN_DIR)), 2);           // no -o
  EXPECT_EQ(RunLeakscope("html -o /dev/null"), 2);                         // no dumps
  EXPECT_EQ(RunLeakscope("html -o /dev/null /nonexistent/leakscope"), 2);  // nothing readable
  EXPECT_EQ(RunLeakscope(absl::StrCat("html --top x -o /dev/null ", GOLDEN_DIR)), 2);
  EXPECT_EQ(RunLeakscope(absl::StrCat("html -q -o /dev/null ", GOLDEN_DIR)), 0);
  // Written to, not replaced: as root, a rename over it left a regular file at /dev/null.
  struct stat st;
  ASSERT_EQ(lstat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "/dev/null is no longer a character device";
}

// -o naming a FIFO: the report goes down the pipe, and the FIFO stays one.
TEST(HtmlCommand, WritesIntoAFifoItIsGiven) {
  char dir_template[] = "/tmp/leakscope-fifo-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  std::string fifo = std::string(dir_template) + "/report.html";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string received;
  std::thread reader([&] {
    int fd = open(fifo.c_str(), O_RDONLY);
    char buffer[65536];
    for (ssize_t n; fd >= 0 && (n = read(fd, buffer, sizeof(buffer))) > 0;)
      received.append(buffer, n);
    if (fd >= 0) close(fd);
  });
  EXPECT_EQ(RunLeakscope(absl::StrCat("html -q -o ", fifo, " ", GOLDEN_DIR)), 0);
  // A reader still waiting for a writer (the report went elsewhere) is let go: EOF at once.
  if (int fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK); fd >= 0) close(fd);
  reader.join();
  struct stat st;
  ASSERT_EQ(lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_TRUE(received.starts_with("<!DOCTYPE html>")) << received.substr(0, 80);
  unlink(fifo.c_str());
  rmdir(dir_template);
}

}  // namespace
}  // namespace leakscope::analyzer
