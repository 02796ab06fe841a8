// SPDX-License-Identifier: Apache-2.0
// Properties of the output formats on the golden dump that golden files do not state directly.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "analysis/report.h"
#include "json_value.h"
#include "output/format_report.h"
#include "pprof_profile.h"
#include "test_dump_builder.h"

namespace leakscope::analyzer {
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
    report_ = BuildReport(dump_, "golden", symbolizer_.get(), /*keep_addresses=*/true);
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
  FormatReportCollapsed(report_, *symbolizer_, 0, FoldedWeight::kLiveBytes, &out);
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
  testing::JsonValue parsed;
  ASSERT_TRUE(testing::ParseJson(json, &parsed));
  const testing::JsonValue& memory = parsed["memory"];
  EXPECT_EQ(memory["malloc_allocator"].String(), "jemalloc");
  EXPECT_EQ(memory["malloc_heap_bytes"].UInt(), 419430400u);
  EXPECT_EQ(memory["malloc_in_use_bytes"].UInt(), 314572800u);
  const testing::JsonValue& jemalloc = memory["jemalloc"];  // the allocator's own figures
  EXPECT_EQ(jemalloc["allocated_bytes"].UInt(), 314572800u);
  EXPECT_EQ(jemalloc["active_bytes"].UInt(), 325058560u);
  EXPECT_EQ(jemalloc["resident_bytes"].UInt(), 335544320u);
  EXPECT_EQ(jemalloc["mapped_bytes"].UInt(), 419430400u);
  EXPECT_EQ(jemalloc["retained_bytes"].UInt(), 1073741824u);
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
  testing::JsonValue parsed;
  ASSERT_TRUE(testing::ParseJson(json, &parsed));
  const testing::JsonValue& memory = parsed["memory"];
  EXPECT_FALSE(memory["malloc_heap_known"].Bool());
  EXPECT_FALSE(memory["malloc_recorded"].Bool());
  for (const char* unknown : {"malloc_heap_bytes", "malloc_free_bytes"}) {
    EXPECT_TRUE(memory.Has(unknown)) << unknown;
    EXPECT_TRUE(memory[unknown].IsNull()) << unknown;
  }
}

// The profile decoded field by field (tests/analyzer/pprof_profile.h reads the wire format
// itself): sample types, every site's values and stack, and names through locations and
// functions into the string table, checked against the report they were written from.
TEST_F(FormatsTest, PprofIsGzippedProtobuf) {
  std::string out;
  FormatReportPprof(report_, *symbolizer_, 0, &out);
  pprof::Profile profile;
  ASSERT_TRUE(pprof::DecodeProfile(out, &profile));

  ASSERT_FALSE(profile.strings.empty());
  EXPECT_EQ(profile.strings[0], "");  // pprof requires it
  std::vector<std::string> types;
  for (const pprof::ValueType& t : profile.sample_types) {
    types.push_back(profile.String(t.type) + "/" + profile.String(t.unit));
  }
  EXPECT_EQ(types, (std::vector<std::string>{"inuse_objects/count", "inuse_space/bytes",
                                             "alloc_objects/count", "alloc_space/bytes"}));
  EXPECT_EQ(profile.String(profile.default_sample_type), "inuse_space");
  EXPECT_EQ(profile.String(profile.period_type.type), "space");
  EXPECT_EQ(profile.String(profile.period_type.unit), "bytes");
  EXPECT_EQ(profile.period, 1);  // process 4242 records every allocation
  EXPECT_EQ(profile.time_nanos, dump_.process.fixed.time_unix_ns);
  ASSERT_EQ(profile.comments.size(), 1u);
  EXPECT_EQ(profile.String(profile.comments[0]), "leakscope report of golden");

  // Ids are unique and every reference resolves.
  std::map<uint64_t, const pprof::Location*> locations;
  std::map<uint64_t, const pprof::Function*> functions;
  std::map<uint64_t, const pprof::Mapping*> mappings;
  for (const pprof::Location& l : profile.locations) {
    EXPECT_TRUE(locations.emplace(l.id, &l).second) << "location " << l.id;
  }
  for (const pprof::Function& f : profile.functions) {
    EXPECT_TRUE(functions.emplace(f.id, &f).second) << "function " << f.id;
  }
  for (const pprof::Mapping& m : profile.mappings) {
    EXPECT_TRUE(mappings.emplace(m.id, &m).second) << "mapping " << m.id;
  }
  ASSERT_FALSE(profile.mappings.empty());
  EXPECT_EQ(profile.String(profile.mappings[0].filename), "/opt/golden/bin/app");  // names it
  EXPECT_FALSE(locations.contains(0));
  EXPECT_FALSE(functions.contains(0));

  // One sample per recorded stack, in the report's order, with its four values and its stack.
  ASSERT_EQ(profile.samples.size(), report_.recorded.size());
  ASSERT_GE(report_.recorded.size(), report_.sites.size());
  int64_t inuse_space = 0;
  for (size_t i = 0; i < report_.recorded.size(); ++i) {
    const SiteSummary& site = report_.recorded[i].counters;
    const pprof::Sample& sample = profile.samples[i];
    EXPECT_EQ(sample.values,
              (std::vector<int64_t>{int64_t(site.live_count), int64_t(site.live_bytes),
                                    int64_t(site.alloc_count), int64_t(site.alloc_bytes)}))
        << "sample " << i;
    inuse_space += sample.values.size() == 4 ? sample.values[1] : 0;
    std::vector<std::string> want, got;
    for (uint32_t frame_id : symbolizer_->stacks().Get(report_.recorded[i].stack)) {
      want.push_back(symbolizer_->frames().Get(frame_id).DisplayName());
    }
    for (uint64_t id : sample.location_ids) {
      auto l = locations.find(id);
      ASSERT_NE(l, locations.end()) << "sample " << i << ": location " << id;
      ASSERT_EQ(l->second->lines.size(), 1u);  // the golden modules have no DWARF: no inlining
      if (l->second->mapping_id != 0) {
        EXPECT_TRUE(mappings.contains(l->second->mapping_id));
      }
      auto f = functions.find(l->second->lines[0].function_id);
      ASSERT_NE(f, functions.end()) << "sample " << i << ": location " << id;
      EXPECT_EQ(f->second->system_name, f->second->name);
      got.push_back(profile.String(f->second->name));
    }
    EXPECT_EQ(got, want) << "sample " << i;
  }
  EXPECT_EQ(inuse_space, int64_t(report_.totals.live_bytes));
  // The top site by name, leaf first: the recorder's hook, then the leaking caller.
  ASSERT_FALSE(profile.samples.empty());
  std::vector<std::string> top;
  for (uint64_t id : profile.samples[0].location_ids) {
    top.push_back(profile.String(functions[locations[id]->lines[0].function_id]->name));
  }
  EXPECT_EQ(top, (std::vector<std::string>{"libleakscope.so+0x1234", "app+0x1100", "app+0x2200",
                                           "app+0x3300"}));
  EXPECT_EQ(profile.samples[0].values, (std::vector<int64_t>{96, 6 << 20, 96, 6 << 20}));

  // The golden modules' files are not on this machine: each module is one mapping of its whole
  // range at offset 0 with its build-id, and nothing in it is named from the file.
  const ModuleInfo* app = nullptr;
  for (const ModuleInfo& m : dump_.modules) {
    if (m.path == "/opt/golden/bin/app") app = &m;
  }
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(profile.mappings[0].memory_start, app->fixed.start);
  EXPECT_EQ(profile.mappings[0].memory_limit, app->fixed.end);
  EXPECT_EQ(profile.mappings[0].file_offset, 0u);
  EXPECT_EQ(profile.String(profile.mappings[0].build_id),
            "1111111111111111111111111111111111111111");
  EXPECT_FALSE(profile.mappings[0].has_functions || profile.mappings[0].has_filenames ||
               profile.mappings[0].has_line_numbers || profile.mappings[0].has_inline_frames);
  // Addresses: each recorded return address minus one, leaf first.
  const SiteInfo* leak = nullptr;
  for (const SiteInfo& site : dump_.sites) {
    if (site.live_est_bytes() == (6u << 20)) leak = &site;
  }
  ASSERT_NE(leak, nullptr);
  ASSERT_EQ(profile.samples[0].location_ids.size(), leak->pcs.size());
  for (size_t i = 0; i < leak->pcs.size(); ++i) {
    EXPECT_EQ(locations[profile.samples[0].location_ids[i]]->address, leak->pcs[i] - 1) << i;
  }
  // The allocator frames (the recorder's hook, zlib) by their full names, quoted and anchored.
  EXPECT_EQ(profile.String(profile.drop_frames),
            "^(?:libleakscope\\.so\\+0x1234|libz\\.so\\.1\\+0x500|libz\\.so\\.1\\+0x2100)$");
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
  testing::JsonValue parsed;
  ASSERT_TRUE(testing::ParseJson(out, &parsed));
  ASSERT_EQ(parsed["sites"].size(), 1u);  // --top 1
  const testing::JsonValue& leak = parsed["sites"][0];
  EXPECT_EQ(leak["live_count"].UInt(), 40u);
  EXPECT_EQ(leak["sampled_live_count"].UInt(), 32u);
  EXPECT_EQ(leak["alloc_count"].UInt(), 40u);
  EXPECT_EQ(leak["sampled_alloc_count"].UInt(), 32u);
  EXPECT_EQ(leak["live_bytes"].UInt(), 2621440u);
  EXPECT_EQ(leak["sampled_live_bytes"].UInt(), 2097152u);
  const testing::JsonValue& totals = parsed["totals"];  // over every site, not only those shown
  EXPECT_EQ(totals["live_count"].UInt(), 42u);
  EXPECT_EQ(totals["sampled_live_count"].UInt(), 33u);
  EXPECT_EQ(totals["alloc_count"].UInt(), 290u);
  EXPECT_EQ(totals["sampled_alloc_count"].UInt(), 232u);
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

// The golden dumps are format version 1: no ages, and every output says so rather than 0.
TEST_F(FormatsTest, Version1DumpHasNoAges) {
  for (const SiteSummary& site : report_.sites) EXPECT_FALSE(site.ages.known);
  std::string json;
  FormatReportJson(report_, *symbolizer_, 0, &json);
  testing::JsonValue parsed;
  ASSERT_TRUE(testing::ParseJson(json, &parsed));
  const testing::JsonValue& top = parsed["sites"][0];
  EXPECT_TRUE(top["median_age_s"].IsNull());
  EXPECT_TRUE(top["oldest_age_s"].IsNull());
  EXPECT_TRUE(top["older_than"].IsNull());
  std::string text;
  FormatReportText(report_, *symbolizer_, 0, &text);
  EXPECT_EQ(text.find("age"), std::string::npos) << text;
}

// A dump of the current version (ages since version 2), written and read back as the analyzer reads
// files: an old leak and young churn, each site's ages as the recorder summarized them. Two
// recorded stacks of the leak that symbolize alike merge: the oldest and the bytes past each
// threshold add up exactly, the median is the one of the part holding more bytes.
class AgesFormatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Dump dump = testing::ProcessDump(4343, 1, 0, 0);
    dump.settings.sample_bytes = 1;
    testing::AddModule(&dump, "/nonexistent/app", 0x555555554000, 0x10000, 0, format::kModuleMain);
    SiteInfo& leak = testing::AddSite(&dump, 1, {0x555555555100, 0x555555555200},
                                      {.alloc_count = 30, .alloc_bytes = 3 << 20});
    leak.ages = {.median_age_s = 190,
                 .oldest_age_s = 7200,
                 .older_than_est_bytes = {3 << 20, 2 << 20, 1 << 20, 0}};
    SiteInfo& leak_again = testing::AddSite(&dump, 2, {0x555555555100, 0x555555555200},
                                            {.alloc_count = 1, .alloc_bytes = 1 << 20});
    leak_again.pcs = leak.pcs;
    leak_again.ages = {.median_age_s = 90000,
                       .oldest_age_s = 90000,
                       .older_than_est_bytes = {1 << 20, 1 << 20, 1 << 20, 1 << 20}};
    SiteInfo& churn = testing::AddSite(&dump, 3, {0x555555555300},
                                       {.alloc_count = 1000,
                                        .alloc_bytes = 1000 << 10,
                                        .free_count = 998,
                                        .free_bytes = 998 << 10});
    churn.ages = {.median_age_s = 0, .oldest_age_s = 1, .older_than_est_bytes = {}};
    SiteInfo& freed = testing::AddSite(
        &dump, 4, {0x555555555400},
        {.alloc_count = 5, .alloc_bytes = 500, .free_count = 5, .free_bytes = 500});
    (void)freed;  // nothing live: no age to show
    StringSink sink;
    ASSERT_TRUE(WriteDump(dump, &sink));
    std::string error;
    ASSERT_TRUE(ParseDump(sink.bytes(), &dump_, &error)) << error;
    ASSERT_EQ(dump_.version, format::kVersion);
    SymbolizerOptions options;
    options.warnings = nullptr;
    symbolizer_ = std::make_unique<Symbolizer>(options);
    report_ = BuildReport(dump_, "ages", symbolizer_.get());
    ASSERT_EQ(report_.sites.size(), 3u);
  }
  Dump dump_;
  std::unique_ptr<Symbolizer> symbolizer_;
  Report report_;
};

TEST_F(AgesFormatsTest, ReportMergesAgesOfOneSymbolizedStack) {
  const SiteSummary& leak = report_.sites[0];
  EXPECT_EQ(leak.live_bytes, 4u << 20);
  ASSERT_TRUE(leak.ages.known);
  EXPECT_EQ(leak.ages.median_s, 190u);  // 3 MiB of the 4 are in the part whose median is 190 s
  EXPECT_EQ(leak.ages.oldest_s, 90000u);
  EXPECT_EQ(leak.ages.older_than_bytes[0], 4u << 20);
  EXPECT_EQ(leak.ages.older_than_bytes[1], 3u << 20);
  EXPECT_EQ(leak.ages.older_than_bytes[2], 2u << 20);
  EXPECT_EQ(leak.ages.older_than_bytes[3], 1u << 20);
  EXPECT_TRUE(report_.sites[1].ages.known);
  EXPECT_FALSE(report_.sites[2].ages.known);  // all freed
}

TEST_F(AgesFormatsTest, JsonCarriesMedianOldestAndBytesOlderThanEachThreshold) {
  std::string out;
  FormatReportJson(report_, *symbolizer_, 0, &out);
  testing::JsonValue parsed;
  ASSERT_TRUE(testing::ParseJson(out, &parsed)) << out;
  const testing::JsonValue& leak = parsed["sites"][0];
  EXPECT_EQ(leak["median_age_s"].UInt(), 190u);
  EXPECT_EQ(leak["oldest_age_s"].UInt(), 90000u);
  const testing::JsonValue& older = leak["older_than"];
  ASSERT_EQ(older.size(), 4u);
  std::vector<uint64_t> ages, bytes;
  for (size_t i = 0; i < older.size(); ++i) {
    ages.push_back(older[i]["age_s"].UInt());
    bytes.push_back(older[i]["bytes"].UInt());
  }
  EXPECT_EQ(ages, (std::vector<uint64_t>{60, 600, 3600, 86400}));
  EXPECT_EQ(bytes, (std::vector<uint64_t>{4 << 20, 3 << 20, 2 << 20, 1 << 20}));
  const testing::JsonValue& churn = parsed["sites"][1];
  EXPECT_EQ(churn["median_age_s"].UInt(), 0u);
  EXPECT_EQ(churn["oldest_age_s"].UInt(), 1u);
  EXPECT_TRUE(parsed["sites"][2]["median_age_s"].IsNull());
  EXPECT_TRUE(parsed["sites"][2]["older_than"].IsNull());
  EXPECT_FALSE(parsed["totals"].Has("median_age_s"));
}

TEST_F(AgesFormatsTest, TextShowsEachSitesAgeCompactly) {
  std::string out;
  FormatReportText(report_, *symbolizer_, 0, &out);
  EXPECT_NE(out.find("#1  4.00 MiB live in 31 allocations; allocated so far: 4.00 MiB in 31; "
                     "median age 3m10s, oldest 1d1h\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("; median age 0s, oldest 1s\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace leakscope::analyzer
