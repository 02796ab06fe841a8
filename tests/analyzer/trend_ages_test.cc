// Trend keeps each site's ages at the last dump (format version 2) beside its growth, per
// process and across processes, and shows them; it does not rank by them.
#include <gtest/gtest.h>

#include "analysis/dump_discovery.h"
#include "analysis/trend.h"
#include "json_value.h"
#include "output/format_trend.h"
#include "temp_dir.h"
#include "test_dump_builder.h"

namespace leakscope::analyzer {
namespace {

constexpr uint64_t kBase = 0x7f0000000000;

class TrendAgesTest : public ::testing::Test {
 protected:
  // Dump `seq` of process `pid`, a minute after the one before: a leak of `leak` bytes per dump
  // (ages given) and a stable site. Version 1 dumps drop the ages.
  void Write(int64_t pid, uint64_t seq, uint64_t leak, format::SiteAgesFixed ages,
             uint32_t version = format::kVersion) {
    Dump dump = testing::ProcessDump(pid, 1000 + pid, seq, 0);
    dump.version = version;
    dump.settings.sample_bytes = 1;
    testing::AddModule(&dump, "/nonexistent/app", kBase, 0x100000, 0);
    uint64_t bytes = leak * (seq + 1);
    SiteInfo& grows = testing::AddSite(&dump, 1, {kBase + 0x1000}, {bytes / 64, bytes});
    grows.ages = ages;
    SiteInfo& stable = testing::AddSite(&dump, 2, {kBase + 0x2000}, {10, 640});
    stable.ages = {.median_age_s = 5, .oldest_age_s = 9, .older_than_est_bytes = {}};
    ASSERT_FALSE(testing::WriteDumpInto(dir_, dump).empty());
  }

  TrendResult Analyze() {
    std::vector<std::string> files;
    std::string error;
    EXPECT_TRUE(ExpandDumpPath(dir_, &files, &error)) << error;
    SymbolizerOptions options;
    options.warnings = nullptr;
    symbolizer_ = std::make_unique<Symbolizer>(options);
    return AnalyzeTrend(files, {}, symbolizer_.get(), nullptr);
  }

  testing::TempDir temp_;
  const std::string& dir_ = temp_.path();
  std::unique_ptr<Symbolizer> symbolizer_;
};

TEST_F(TrendAgesTest, KeepsTheLastDumpsAgesPerProcessAndMergesThemAcrossProcesses) {
  // Process 7 leaks 64 KiB a dump, process 8 a quarter of that; only the last dump's ages count.
  for (uint64_t seq = 0; seq < 3; ++seq) {
    Write(7, seq, 64 << 10, {.median_age_s = 1, .oldest_age_s = 1, .older_than_est_bytes = {}});
    Write(8, seq, 16 << 10, {.median_age_s = 2, .oldest_age_s = 2, .older_than_est_bytes = {}});
  }
  Write(7, 3, 64 << 10, {.median_age_s = 100, .oldest_age_s = 190, .older_than_est_bytes = {}});
  Write(8, 3, 16 << 10,
        {.median_age_s = 30, .oldest_age_s = 200, .older_than_est_bytes = {16 << 10, 0, 0, 0}});
  TrendResult r = Analyze();
  ASSERT_EQ(r.processes.size(), 2u);
  const SiteTrend& in7 = r.processes[0].sites[0];
  ASSERT_TRUE(in7.last_ages.known);
  EXPECT_EQ(in7.last_ages.median_s, 100u);
  EXPECT_EQ(in7.last_ages.oldest_s, 190u);
  ASSERT_EQ(r.suspects.size(), 1u);
  const SuspectTrend& leak = r.suspects[0];
  ASSERT_TRUE(leak.last_ages.known);
  EXPECT_EQ(leak.last_ages.median_s, 100u);  // process 7 holds four fifths of the bytes
  EXPECT_EQ(leak.last_ages.oldest_s, 200u);
  EXPECT_EQ(leak.last_ages.older_than_bytes[0], 16u << 10);

  std::string text;
  FormatTrendText(r, *symbolizer_, 0, /*all=*/false, &text);
  EXPECT_NE(text.find("growing in 2 of 2 processes; every allocation recorded; median age 1m40s, "
                      "oldest 3m20s\n"),
            std::string::npos)
      << text;

  std::string json;
  FormatTrendJson(r, *symbolizer_, 0, &json);
  testing::JsonValue parsed;
  ASSERT_TRUE(testing::ParseJson(json, &parsed)) << json;
  EXPECT_EQ(parsed["suspects"][0]["median_age_s"].UInt(), 100u);
  EXPECT_EQ(parsed["suspects"][0]["oldest_age_s"].UInt(), 200u);
  EXPECT_FALSE(parsed["suspects"][0].Has("older_than"));
  EXPECT_EQ(parsed["sites"][1]["median_age_s"].UInt(), 5u);  // the stable site, not a suspect
}

TEST_F(TrendAgesTest, SaysNothingOfAgesWhenTheLastDumpHasNone) {
  for (uint64_t seq = 0; seq < 3; ++seq) {
    Write(7, seq, 64 << 10, {.median_age_s = 60, .oldest_age_s = 60, .older_than_est_bytes = {}});
  }
  Write(7, 3, 64 << 10, {}, /*version=*/1);  // a recorder from before ages wrote the last one
  TrendResult r = Analyze();
  ASSERT_EQ(r.suspects.size(), 1u);
  EXPECT_FALSE(r.suspects[0].last_ages.known);
  std::string text;
  FormatTrendText(r, *symbolizer_, 0, /*all=*/false, &text);
  EXPECT_EQ(text.find("median age"), std::string::npos) << text;
  std::string json;
  FormatTrendJson(r, *symbolizer_, 0, &json);
  testing::JsonValue parsed;
  ASSERT_TRUE(testing::ParseJson(json, &parsed)) << json;
  EXPECT_TRUE(parsed["suspects"][0]["median_age_s"].IsNull());
  EXPECT_TRUE(parsed["suspects"][0]["oldest_age_s"].IsNull());
}

}  // namespace
}  // namespace leakscope::analyzer
