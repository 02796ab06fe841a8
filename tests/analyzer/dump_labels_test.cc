// SPDX-License-Identifier: Apache-2.0
// Dump labels (issue 17): the kLabel record read back, and what report, diff and trend show of
// it: report's header and dump.label, both labels in diff, and the labelled dumps on trend's time
// axis (text and JSON).
#include <gtest/gtest.h>

#include "analysis/diff.h"
#include "analysis/dump_discovery.h"
#include "analysis/report.h"
#include "analysis/trend.h"
#include "dump_label.h"
#include "json_value.h"
#include "output/format_diff.h"
#include "output/format_report.h"
#include "output/format_trend.h"
#include "output/units.h"
#include "temp_dir.h"
#include "test_dump_builder.h"

namespace leakscope::analyzer {
namespace {

constexpr uint64_t kBase = 0x7f0000000000;

// Dump `seq` of process 7, a minute after the one before, leaking 64 KiB a dump.
Dump LeakDump(uint64_t seq, const std::string& label) {
  Dump dump = testing::ProcessDump(7, 1007, seq, 5'000'000'000);
  dump.settings.sample_bytes = 1;
  dump.label = label;
  testing::AddModule(&dump, "/nonexistent/app", kBase, 0x100000, 0);
  uint64_t bytes = (64u << 10) * (seq + 1);
  testing::AddSite(&dump, 1, {kBase + 0x1000}, {bytes / 64, bytes});
  return dump;
}

std::unique_ptr<Symbolizer> QuietSymbolizer() {
  SymbolizerOptions options;
  options.warnings = nullptr;
  return std::make_unique<Symbolizer>(options);
}

TEST(DumpLabel, RoundTripsThroughTheFormatAndOldDumpsReadUnlabelled) {
  for (const std::string& label : {std::string("batch 1742"), std::string()}) {
    StringSink sink;
    ASSERT_TRUE(WriteDump(LeakDump(0, label), &sink));
    Dump back;
    std::string error;
    ASSERT_TRUE(ParseDump(sink.bytes(), &back, &error)) << error;
    EXPECT_EQ(back.label, label);
    // An unlabelled dump carries no kLabel record: its bytes are those of a dump before labels.
    Dump old = LeakDump(0, "");
    StringSink old_sink;
    ASSERT_TRUE(WriteDump(old, &old_sink));
    EXPECT_EQ(sink.bytes().size() == old_sink.bytes().size(), label.empty());
  }
  // Two labels: as any record that must appear once.
  StringSink sink;
  DumpEncoder encoder(&sink);
  ASSERT_TRUE(encoder.Begin() && encoder.Process({}) && encoder.Label("a") && encoder.Label("b") &&
              encoder.Finish());
  Dump back;
  std::string error;
  EXPECT_FALSE(ParseDump(sink.bytes(), &back, &error));
  EXPECT_NE(error.find("(label)"), std::string::npos) << error;
  EXPECT_NE(error.find("duplicate record"), std::string::npos) << error;
}

TEST(DumpLabel, CleanLabelKeepsTheFirstLineCutAtACharacter) {
  char out[dump_label::kMaxBytes + 1];
  std::string in = "batch 7\r\nsecond line";
  EXPECT_EQ(dump_label::CleanLabel(in.data(), in.size(), out), 7u);
  EXPECT_STREQ(out, "batch 7");
  in = "a\tb\x1b[31m\x7f";
  dump_label::CleanLabel(in.data(), in.size(), out);
  EXPECT_STREQ(out, "a?b?[31m?");
  in = "\n";
  EXPECT_EQ(dump_label::CleanLabel(in.data(), in.size(), out), 0u);
  // 255 ASCII bytes and a 2-byte character across the 256-byte limit: the character is left out
  // whole, not cut in half.
  in = std::string(255, 'x') + "\xc3\xa9" + "tail";
  EXPECT_EQ(dump_label::CleanLabel(in.data(), in.size(), out), 255u);
  in = std::string(254, 'x') + "\xc3\xa9" + "tail";
  EXPECT_EQ(dump_label::CleanLabel(in.data(), in.size(), out), 256u);
  EXPECT_EQ(std::string(out).substr(254), "\xc3\xa9");
}

TEST(DumpLabel, ReportShowsTheLabelInItsHeaderAndJson) {
  auto symbolizer = QuietSymbolizer();
  Report labelled = BuildReport(LeakDump(2, "batch 7"), "d.dump", symbolizer.get());
  std::string text, json;
  FormatReportText(labelled, *symbolizer, 10, &text);
  EXPECT_NE(text.find("\nLabel: batch 7\n"), std::string::npos) << text;
  FormatReportJson(labelled, *symbolizer, 10, &json);
  testing::JsonValue parsed;
  ASSERT_TRUE(testing::ParseJson(json, &parsed)) << json;
  EXPECT_EQ(parsed["dump"]["label"].String(), "batch 7");

  Report plain = BuildReport(LeakDump(2, ""), "d.dump", symbolizer.get());
  text.clear();
  json.clear();
  FormatReportText(plain, *symbolizer, 10, &text);
  EXPECT_EQ(text.find("Label:"), std::string::npos) << text;
  FormatReportJson(plain, *symbolizer, 10, &json);
  ASSERT_TRUE(testing::ParseJson(json, &parsed)) << json;
  EXPECT_EQ(parsed["dump"]["label"].String(), "");
}

TEST(DumpLabel, DiffShowsBothLabels) {
  auto symbolizer = QuietSymbolizer();
  DiffResult diff = BuildDiff(BuildReport(LeakDump(1, "batch 6"), "a.dump", symbolizer.get()),
                              BuildReport(LeakDump(2, "batch 7"), "b.dump", symbolizer.get()));
  std::string text, json;
  FormatDiffText(diff, *symbolizer, 10, &text);
  EXPECT_NE(text.find("Old: pid 7 dump #1 at " +
                      FormatUnixTime(LeakDump(1, "").process.fixed.time_unix_ns) +
                      ", label \"batch 6\"\nNew: pid 7 dump #2 at " +
                      FormatUnixTime(LeakDump(2, "").process.fixed.time_unix_ns) +
                      ", label \"batch 7\" (60.0 s later)\n"),
            std::string::npos)
      << text;
  FormatDiffJson(diff, *symbolizer, 10, &json);
  testing::JsonValue parsed;
  ASSERT_TRUE(testing::ParseJson(json, &parsed)) << json;
  EXPECT_EQ(parsed["old"]["label"].String(), "batch 6");
  EXPECT_EQ(parsed["new"]["label"].String(), "batch 7");
}

TEST(DumpLabel, TrendListsTheLabelledDumpsOnItsTimeAxis) {
  testing::TempDir temp;
  const char* labels[] = {"", "batch 1", "", "batch 2"};
  for (uint64_t seq = 0; seq < 4; ++seq) {
    ASSERT_FALSE(testing::WriteDumpInto(temp.path(), LeakDump(seq, labels[seq])).empty());
  }
  std::vector<std::string> files;
  std::string error;
  ASSERT_TRUE(ExpandDumpPath(temp.path(), &files, &error)) << error;
  auto symbolizer = QuietSymbolizer();
  TrendResult r = AnalyzeTrend(files, {}, symbolizer.get(), nullptr);
  ASSERT_EQ(r.processes.size(), 1u);

  std::string text;
  FormatTrendText(r, *symbolizer, 0, /*all=*/false, &text);
  const int64_t t1 = LeakDump(1, "").process.fixed.time_unix_ns;
  const int64_t t3 = LeakDump(3, "").process.fixed.time_unix_ns;
  EXPECT_NE(text.find("    label at +60.0 s (dump #1, " + FormatUnixTime(t1) + "): batch 1\n" +
                      "    label at +3.0 min (dump #3, " + FormatUnixTime(t3) + "): batch 2\n"),
            std::string::npos)
      << text;

  std::string json;
  FormatTrendJson(r, *symbolizer, 0, &json);
  testing::JsonValue parsed;
  ASSERT_TRUE(testing::ParseJson(json, &parsed)) << json;
  const testing::JsonValue& listed = parsed["processes"][0]["labels"];
  ASSERT_EQ(listed.size(), 2u) << json;
  EXPECT_EQ(listed[0]["seq"].UInt(), 1u);
  EXPECT_EQ(listed[0]["time_ns"].Int(), 60'000'000'000);
  EXPECT_EQ(listed[0]["time_unix_ns"].Int(), t1);
  EXPECT_EQ(listed[0]["label"].String(), "batch 1");
  EXPECT_EQ(listed[1]["seq"].UInt(), 3u);
  EXPECT_EQ(listed[1]["time_ns"].Int(), 180'000'000'000);
  EXPECT_EQ(listed[1]["label"].String(), "batch 2");
}

}  // namespace
}  // namespace leakscope::analyzer
