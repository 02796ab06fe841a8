// Properties of the output formats on the golden dump that golden files do not state directly.
#include <gtest/gtest.h>

#include <sstream>

#include "gunzip.h"
#include "output_format.h"
#include "report.h"

namespace leakscope {
namespace {

class FormatsTest : public ::testing::Test {
 protected:
  void SetUp() override { Load("leakscope.4242.5.dump"); }
  void Load(const std::string& name) {
    std::string error;
    ASSERT_TRUE(ReadDumpFile(std::string(GOLDEN_DIR) + "/" + name, &dump_, &error)) << error;
    SymbolizerOptions options;
    options.warnings = nullptr;
    symbolizer_ = std::make_unique<Symbolizer>(options);
    report_ = BuildReport(dump_, "golden", symbolizer_.get());
  }
  // Rebuilds the report as if the dump carried this kAllocator record.
  void SetAllocator(const AllocatorInfo& allocator) {
    dump_.allocator = allocator;
    report_ = BuildReport(dump_, "golden", symbolizer_.get());
  }
  Dump dump_;
  std::unique_ptr<Symbolizer> symbolizer_;
  Report report_;
};

AllocatorInfo Jemalloc(uint32_t flags) {
  AllocatorInfo a;
  a.path = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
  a.fixed.kind = static_cast<uint32_t>(format::AllocatorKind::kJemalloc);
  a.fixed.flags = flags;
  if (flags & format::kAllocatorStats) {
    a.fixed.allocated = 300ull << 20;
    a.fixed.active = 310ull << 20;
    a.fixed.resident = 320ull << 20;
    a.fixed.mapped = 400ull << 20;
    a.fixed.retained = 1ull << 30;
  }
  return a;
}

TEST_F(FormatsTest, CollapsedTotalEqualsReportTotal) {
  std::string out;
  FormatReportCollapsed(report_, *symbolizer_, 0, &out);
  std::istringstream lines(out);
  std::string line;
  uint64_t total = 0;
  size_t count = 0;
  while (std::getline(lines, line)) {
    size_t space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos) << line;
    total += std::stoull(line.substr(space + 1));
    ++count;
  }
  EXPECT_EQ(total, report_.totals.live_bytes);
  EXPECT_EQ(count, 7u);  // sites with live bytes
  // Outermost first: every line starts at main's frame except the overflow site.
  EXPECT_TRUE(out.starts_with("app+0x3300;app+0x2200;app+0x1100;libleakscope.so+0x1234 6291456\n"))
      << out;
}

TEST_F(FormatsTest, SitesAreSortedByLiveBytesAndTotalsAddUp) {
  uint64_t live = 0;
  for (size_t i = 0; i < report_.sites.size(); ++i) {
    live += report_.sites[i].live_bytes;
    if (i > 0) {
      EXPECT_GE(report_.sites[i - 1].live_bytes, report_.sites[i].live_bytes);
    }
  }
  EXPECT_EQ(live, report_.totals.live_bytes);
  EXPECT_EQ(report_.sites[0].live_bytes, 6u << 20);
  EXPECT_EQ(report_.sites[0].live_count, 96u);
}

TEST_F(FormatsTest, MemoryPictureShowsJemallocsOwnFigures) {
  SetAllocator(Jemalloc(format::kAllocatorStats));
  std::string text;
  FormatReportText(report_, *symbolizer_, 0, &text);
  EXPECT_NE(text.find("malloc heap (jemalloc: mapped)              400 MiB  320 MiB resident, "
                      "1.00 GiB retained\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("in use (jemalloc: allocated)              300 MiB\n"), std::string::npos);
  EXPECT_EQ(text.find("arenas"), std::string::npos);  // glibc's figures are not shown
  std::string json;
  FormatReportJson(report_, *symbolizer_, 0, &json);
  for (const char* field :
       {"\"malloc_allocator\": \"jemalloc\",", "\"malloc_heap_bytes\": 419430400,",
        "\"malloc_in_use_bytes\": 314572800,", "\"retained_bytes\": 1073741824"}) {
    EXPECT_NE(json.find(field), std::string::npos) << field << " in\n" << json;
  }
}

TEST_F(FormatsTest, MemoryPictureSaysUnknownAndUnrecordedWhenAllocatorIsInFront) {
  SetAllocator(Jemalloc(format::kAllocatorInFront));  // no hooks, no statistics
  std::string text;
  FormatReportText(report_, *symbolizer_, 0, &text);
  EXPECT_NE(text.find("malloc heap                                   unknown  (jemalloc's figures "
                      "are not readable)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Note: malloc was /usr/lib/x86_64-linux-gnu/libjemalloc.so.2's, loaded in "
                      "front of libleakscope.so: malloc, calloc, realloc and free were NOT "
                      "recorded."),
            std::string::npos)
      << text;
  std::string json;
  FormatReportJson(report_, *symbolizer_, 0, &json);
  for (const char* field : {"\"malloc_heap_known\": false,", "\"malloc_recorded\": false,",
                            "\"malloc_heap_bytes\": null,", "\"malloc_free_bytes\": null,"}) {
    EXPECT_NE(json.find(field), std::string::npos) << field << " in\n" << json;
  }
}

TEST_F(FormatsTest, PprofIsGzippedProtobuf) {
  std::string out;
  FormatReportPprof(report_, *symbolizer_, 0, &out);
  ASSERT_GT(out.size(), 20u);
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(out[1]), 0x8b);
  // Inflate and find the sample type names in the string table.
  std::string body = Gunzip(out);
  ASSERT_FALSE(body.empty());
  for (const char* name :
       {"inuse_objects", "inuse_space", "alloc_objects", "alloc_space", "app+0x1100"}) {
    EXPECT_NE(body.find(name), std::string::npos) << name;
  }
}

// Process 5151 is sampled: each sample stands for 1.25 allocations. Counts everywhere are the
// estimates; the sampled counts stay available beside them.
class SampledFormatsTest : public FormatsTest {
 protected:
  void SetUp() override { Load("leakscope.5151.3.dump"); }
};

TEST_F(SampledFormatsTest, CountsAreEstimatesWithSampledCountsBeside) {
  ASSERT_EQ(report_.sites.size(), 2u);
  const SiteSummary& leak = report_.sites[0];
  EXPECT_EQ(leak.live_bytes, 2621440u);
  EXPECT_EQ(leak.live_count, 40u);
  EXPECT_EQ(leak.sampled_live_bytes, 2097152u);
  EXPECT_EQ(leak.sampled_live_count, 32u);
  EXPECT_EQ(leak.alloc_count, 40u);
  EXPECT_EQ(leak.sampled_alloc_count, 32u);
  const SiteSummary& churn = report_.sites[1];
  EXPECT_EQ(churn.live_count, 2u);  // 250 estimated allocations - 248 estimated frees
  EXPECT_EQ(churn.sampled_live_count, 1u);
  EXPECT_EQ(churn.alloc_count, 250u);
  EXPECT_EQ(churn.sampled_alloc_count, 200u);
  EXPECT_EQ(report_.totals.live_count, 42u);
  EXPECT_EQ(report_.totals.sampled_live_count, 33u);
  EXPECT_EQ(report_.totals.alloc_count, 290u);
  EXPECT_EQ(report_.totals.sampled_alloc_count, 232u);
}

TEST_F(SampledFormatsTest, JsonCarriesEstimatedAndSampledCounts) {
  std::string out;
  FormatReportJson(report_, *symbolizer_, 1, &out);
  for (const char* field :
       {"\"live_count\": 40,", "\"sampled_live_count\": 32,", "\"alloc_count\": 40,",
        "\"sampled_alloc_count\": 32,", "\"live_count\": 42,", "\"sampled_live_count\": 33,"}) {
    EXPECT_NE(out.find(field), std::string::npos) << field << " in\n" << out;
  }
}

TEST_F(SampledFormatsTest, TextShowsEstimatedCountsAndSampledInParentheses) {
  std::string out;
  FormatReportText(report_, *symbolizer_, 0, &out);
  EXPECT_NE(out.find("Live allocations: 2.58 MiB in 42 allocations at 2 sites"), std::string::npos)
      << out;
  EXPECT_NE(out.find("#1  2.50 MiB live in 40 allocations (sampled: 2.00 MiB in 32); allocated "
                     "so far: 2.50 MiB in 40 (sampled: 32)"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace leakscope
