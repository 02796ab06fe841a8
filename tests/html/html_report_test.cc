// The HTML report's C++ side: the flame tree, the JSON the page embeds, and the command line.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "flame_tree.h"
#include "frame.h"
#include "html_data.h"
#include "html_page.h"
#include "json_writer.h"
#include "symbolizer.h"
#include "trend.h"

namespace leakscope {
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

TEST(HtmlData, RanksSuspectsAsTrendAndKeepsOnePointPerDump) {
  std::vector<std::string> files = GoldenDumps();
  size_t dumps_read = 0;
  std::string json = HtmlDataOf(files, &dumps_read);
  EXPECT_EQ(dumps_read, 10u);

  Symbolizer trend_symbolizer(QuietSymbolizer());
  TrendResult trend = AnalyzeTrend(files, TrendOptions{}, &trend_symbolizer, {});
  ASSERT_EQ(trend.suspects.size(), 3u);
  // The suspects in trend's order, each with its allocating caller.
  size_t at = 0;
  for (const SuspectTrend& s : trend.suspects) {
    std::span<const uint32_t> stack = trend_symbolizer.stacks().Get(s.stack);
    std::string caller = trend_symbolizer.frames()
                             .Get(stack[CallerIndex(trend_symbolizer.frames(), stack)])
                             .DisplayName();
    size_t found = json.find(absl::StrCat("\"function\": \"", caller, "\""), at);
    ASSERT_NE(found, std::string::npos) << caller;
    at = found;
  }
  // The top suspect (app+0x1100) grows by 1 MiB a minute in pid 4242 and 640 KiB in pid 5151.
  size_t series = json.find("\"series\": [");
  ASSERT_NE(series, std::string::npos);
  EXPECT_EQ(json.find("{\"process\": 0, \"live_bytes\": [1048576, 2097152, 3145728, 4194304, "
                      "5242880, 6291456]},"),
            json.find('{', series));
  EXPECT_NE(
      json.find("{\"process\": 1, \"live_bytes\": [655360, 1310720, 1966080, 2621440]}", series),
      std::string::npos);
  EXPECT_NE(json.find("\"time_ns\": [0, 60000000000, 120000000000, 180000000000, 240000000000, "
                      "300000000000]"),
            std::string::npos);
  EXPECT_NE(json.find("\"command\": \"html\""), std::string::npos);
  EXPECT_NE(json.find("\"suspect_count\": 3"), std::string::npos);
  // The live flame graph holds every live byte of both last dumps (13.7 MiB + 2.58 MiB).
  EXPECT_NE(json.find("\"live\": {\n      \"total\": 17121064,"), std::string::npos) << json;
}

// A process's Java walk counters travel with it, as in `trend --format json`.
TEST(HtmlData, CarriesEachProcessJavaWalks) {
  size_t dumps_read = 0;
  std::string json =
      HtmlDataOf(GoldenDumps(std::string(GOLDEN_DIR) + "/../golden_java"), &dumps_read);
  EXPECT_EQ(dumps_read, 3u);
  size_t java = json.find("\"java\": {");
  ASSERT_NE(java, std::string::npos) << json.substr(0, 2000);
  EXPECT_NE(json.find("\"agent_loaded\": true", java), std::string::npos);
  EXPECT_NE(json.find("\"walks\": {\"frames\": 300, \"no_java_frame\": 0, \"no_class_load\": 0, "
                      "\"gc_active\": 2, \"unknown_not_java\": 51,",
                      java),
            std::string::npos)
      << json.substr(java, 600);
  EXPECT_NE(json.find("\"unencodable\": 1", java), std::string::npos);
}

int RunLeakscope(const std::string& args) {
  int status = std::system(absl::StrCat(LEAKSCOPE_BIN, " ", args, " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(HtmlCommand, NeedsAnOutputFileAndDumps) {
  EXPECT_EQ(RunLeakscope("html --help"), 0);
  EXPECT_EQ(RunLeakscope(absl::StrCat("html ", GOLDEN_DIR)), 2);           // no -o
  EXPECT_EQ(RunLeakscope("html -o /dev/null"), 2);                         // no dumps
  EXPECT_EQ(RunLeakscope("html -o /dev/null /nonexistent/leakscope"), 2);  // nothing readable
  EXPECT_EQ(RunLeakscope(absl::StrCat("html --top x -o /dev/null ", GOLDEN_DIR)), 2);
  EXPECT_EQ(RunLeakscope(absl::StrCat("html -q -o /dev/null ", GOLDEN_DIR)), 0);
}

}  // namespace
}  // namespace leakscope
