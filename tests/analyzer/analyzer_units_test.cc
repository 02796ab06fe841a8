// SPDX-License-Identifier: Apache-2.0
// Small units: slope, perf maps, JSON escaping, demangling, allocator frames, the memory
// picture, number formats.
#include <gtest/gtest.h>

#include <cstdio>

#include "analysis/report.h"
#include "analysis/robust_slope.h"
#include "output/json_writer.h"
#include "output/units.h"
#include "symbolize/allocator_frames.h"
#include "symbolize/demangle.h"
#include "symbolize/perf_map.h"
#include "temp_dir.h"

namespace leakscope::analyzer {
namespace {

TEST(TheilSenSlope, IgnoresOutliers) {
  std::vector<double> x, y;
  for (int i = 0; i < 20; ++i) {
    x.push_back(i);
    y.push_back(3.0 * i + 7);
  }
  y[4] = 1000;  // a burst of temporary allocations in one dump
  y[15] = -500;
  EXPECT_DOUBLE_EQ(TheilSenSlope(x, y), 3.0);
}

TEST(TheilSenSlope, IsZeroForAStepEarlyInTheSeries) {
  std::vector<double> x, y;
  for (int i = 0; i < 10; ++i) {
    x.push_back(i);
    y.push_back(i == 0 ? 0 : 100);  // a cache filled at the first interval
  }
  EXPECT_DOUBLE_EQ(TheilSenSlope(x, y), 0.0);
}

TEST(TheilSenSlope, HandlesDegenerateInput) {
  EXPECT_EQ(TheilSenSlope(std::vector<double>{}, std::vector<double>{}), 0);
  EXPECT_EQ(TheilSenSlope(std::vector<double>{1}, std::vector<double>{5}), 0);
  EXPECT_EQ(TheilSenSlope(std::vector<double>{1, 1}, std::vector<double>{5, 9}), 0);
}

TEST(PerfMap, LaterEntriesOverrideOverlappedOnes) {
  testing::TempDir temp;
  std::string path = temp.Sub("perf-1.map");
  ASSERT_TRUE(testing::WriteFile(path,
                                 "1000 100 Old::method\n"
                                 "garbage line\n"
                                 "0x1040 0x20 LNew;::compiled\n"
                                 "2000 10 Interpreter with spaces\n"));
  PerfMap map;
  ASSERT_TRUE(map.Load(path));
  ASSERT_NE(map.Find(0x1000), nullptr);
  EXPECT_EQ(*map.Find(0x1000), "Old::method");
  EXPECT_EQ(*map.Find(0x1045), "LNew;::compiled");
  EXPECT_EQ(*map.Find(0x1060), "Old::method");  // the tail of the overlapped entry survives
  EXPECT_EQ(*map.Find(0x2005), "Interpreter with spaces");
  EXPECT_EQ(map.Find(0x1100), nullptr);
  EXPECT_EQ(map.Find(0xfff), nullptr);
}

TEST(JsonWriter, EscapesAndNests) {
  std::string out;
  JsonWriter json(&out);
  json.BeginObject();
  json.Field("s", "a\"b\\c\n\x01");
  json.Key("list");
  json.BeginArray(/*inline_=*/true);
  json.UInt(1);
  json.Double(2.50);
  json.Null();
  json.EndArray();
  json.EndObject();
  EXPECT_EQ(out, "{\n  \"s\": \"a\\\"b\\\\c\\n\\u0001\",\n  \"list\": [1, 2.5, null]\n}\n");
}

TEST(Demangle, DemanglesCxxAndKeepsOtherNames) {
  EXPECT_EQ(Demangle("_ZN3foo3barEi"), "foo::bar(int)");
  EXPECT_EQ(Demangle("malloc"), "malloc");
  EXPECT_EQ(Demangle("_Znot_valid"), "_Znot_valid");
}

TEST(IsAllocatorFrame, KnowsTheAllocationMachinery) {
  EXPECT_TRUE(IsAllocatorFrame("/lib/x86_64-linux-gnu/libc.so.6", "malloc"));
  EXPECT_TRUE(IsAllocatorFrame("/usr/lib/x86_64-linux-gnu/libz.so.1", ""));
  EXPECT_TRUE(IsAllocatorFrame("/build/lib/libleakscope.so", "anything"));
  EXPECT_TRUE(IsAllocatorFrame("/usr/lib/libstdc++.so.6", "operator new[](unsigned long)"));
  EXPECT_TRUE(IsAllocatorFrame("/jdk/lib/libzip.so", "zcalloc"));
  // jemalloc's internals, whatever the nearest exported symbol: its hooks call the recorder.
  EXPECT_TRUE(IsAllocatorFrame("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "mallctlbymib"));
  EXPECT_FALSE(IsAllocatorFrame("/app", "LeakArray<int>(unsigned long)"));
  EXPECT_FALSE(IsAllocatorFrame("/jdk/lib/libzip.so", "Java_java_util_zip_Inflater_init"));
  EXPECT_FALSE(IsAllocatorFrame("/app", ""));
}

TEST(MemoryPicture, UsesTheFiguresOfTheAllocatorThatServedMalloc) {
  format::MemoryFixed memory{};
  memory.rss_bytes = 100 << 20;
  memory.malloc_arena_bytes = 3 << 20;
  memory.malloc_mmap_bytes = 1 << 20;
  memory.malloc_in_use_bytes = 2 << 20;
  memory.malloc_free_bytes = 2 << 20;
  memory.self_resident_bytes = 1 << 20;

  // No kAllocator record (an older recorder): glibc's, as before.
  MemoryPicture old = ComputeMemoryPicture(memory, AllocatorInfo{}, 1000);
  EXPECT_EQ(old.allocator, "glibc");
  EXPECT_TRUE(old.malloc_heap_known);
  EXPECT_EQ(old.malloc_heap_bytes, 4u << 20);
  EXPECT_EQ(old.other_bytes, 95u << 20);

  AllocatorInfo jemalloc;
  jemalloc.path = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
  jemalloc.fixed.kind = static_cast<uint32_t>(format::AllocatorKind::kJemalloc);
  jemalloc.fixed.flags = format::kAllocatorStats;
  jemalloc.fixed.allocated = 30 << 20;
  jemalloc.fixed.active = 32 << 20;
  jemalloc.fixed.resident = 36 << 20;
  jemalloc.fixed.mapped = 40 << 20;
  MemoryPicture je = ComputeMemoryPicture(memory, jemalloc, 1000);
  EXPECT_EQ(je.allocator, "jemalloc");
  EXPECT_EQ(je.malloc_heap_bytes, 40u << 20);
  EXPECT_EQ(je.malloc_in_use_bytes, 30u << 20);
  EXPECT_EQ(je.malloc_free_bytes, 10u << 20);
  EXPECT_EQ(je.other_bytes, 59u << 20);

  // jemalloc without readable statistics, or another allocator: unknown, not glibc's zeros.
  jemalloc.fixed.flags = 0;
  MemoryPicture blind = ComputeMemoryPicture(memory, jemalloc, 1000);
  EXPECT_FALSE(blind.malloc_heap_known);
  EXPECT_EQ(blind.allocator, "jemalloc");
  AllocatorInfo other;
  other.path = "/opt/lib/libtcmalloc.so.4";
  other.fixed.kind = static_cast<uint32_t>(format::AllocatorKind::kOther);
  MemoryPicture tc = ComputeMemoryPicture(memory, other, 1000);
  EXPECT_FALSE(tc.malloc_heap_known);
  EXPECT_EQ(tc.allocator, "libtcmalloc.so.4");
  EXPECT_EQ(tc.malloc_heap_bytes, 0u);
  EXPECT_EQ(tc.other_bytes, 99u << 20);
}

TEST(Units, FormatsBytesAndCounts) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(1023), "1023 B");
  EXPECT_EQ(HumanBytes(1536), "1.50 KiB");
  EXPECT_EQ(HumanBytes(uint64_t{300} << 20), "300 MiB");
  EXPECT_EQ(HumanBytesSigned(-2048), "-2.00 KiB");
  EXPECT_EQ(Thousands(1234567), "1,234,567");
  EXPECT_EQ(ThousandsSigned(-1000), "-1,000");
}

TEST(Units, FormatsAgesInTwoUnitsAtMost) {
  EXPECT_EQ(HumanAge(0), "0s");
  EXPECT_EQ(HumanAge(59), "59s");
  EXPECT_EQ(HumanAge(60), "1m");
  EXPECT_EQ(HumanAge(190), "3m10s");
  EXPECT_EQ(HumanAge(7200), "2h");
  EXPECT_EQ(HumanAge(7259), "2h");  // seconds below an hour's minute are dropped
  EXPECT_EQ(HumanAge(7500), "2h5m");
  EXPECT_EQ(HumanAge(90000), "1d1h");
  EXPECT_EQ(HumanAge(86400 * 400), "400d");
}

}  // namespace
}  // namespace leakscope::analyzer
