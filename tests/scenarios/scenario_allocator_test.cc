// Scenarios with jemalloc preloaded next to the recorder, in both orders (Spark users preload it
// against glibc's arena growth): the known leaks are recorded exactly and at the program's call
// sites, the zlib streams' blocks come from jemalloc, and the dump names the allocator and
// carries its own figures.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "scenario_fixture.h"

namespace leakscope::testing {
namespace {

constexpr char kJemalloc[] = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";

enum class Order { kLeakscopeFirst, kJemallocFirst };

std::string OrderName(const ::testing::TestParamInfo<Order>& info) {
  return info.param == Order::kLeakscopeFirst ? "LeakscopeFirst" : "JemallocFirst";
}

class JemallocPreloaded : public ::testing::TestWithParam<Order> {
 protected:
  void SetUp() override {
    if (access(kJemalloc, R_OK) != 0) {
      GTEST_SKIP() << kJemalloc << " is not installed (Debian package libjemalloc2)";
    }
  }

  bool jemalloc_first() const { return GetParam() == Order::kJemallocFirst; }

  // Exact(), with LD_PRELOAD listing both libraries in this test's order.
  RunOptions Options() const {
    RunOptions options = Exact();
    options.preload =
        jemalloc_first() ? std::string(kJemalloc) + ":" + kPreload : kPreload + ":" + kJemalloc;
    return options;
  }

  // What the recorder must say on stderr: nothing when it is in front, one line otherwise.
  std::string ExpectedStderr() const {
    if (!jemalloc_first()) return "";
    return "leakscope: malloc is libjemalloc.so.2's, loaded in front of libleakscope.so; "
           "recording through jemalloc's hooks, which slow jemalloc down: put libleakscope.so "
           "first in LD_PRELOAD\n";
  }

  // Runs `program`, expects exactly ExpectedStderr() and exit 0, and loads its exit dump.
  ::testing::AssertionResult Run(const std::string& program, Dump* dump, RunResult* run) {
    *run = RunIn(dir_, Program(program), Options());
    EXPECT_EQ(run->err, ExpectedStderr());
    if (run->exit_code != 0) return ::testing::AssertionFailure() << run->Describe();
    if (::testing::AssertionResult loaded = LoadLastDump(dir_.path(), run->pid, dump); !loaded) {
      return loaded;
    }
    return DumpIsConsistent(*dump);
  }

  TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Orders, JemallocPreloaded,
                         ::testing::Values(Order::kLeakscopeFirst, Order::kJemallocFirst),
                         OrderName);

TEST_P(JemallocPreloaded, KnownLeaksAreRecordedExactlyAtTheirCallSites) {
  Dump dump;
  RunResult run;
  ASSERT_TRUE(Run("leak_known_sizes", &dump, &run));
  SiteFinder f(dump);
  ExpectKnownLeaks(f);

  // Before the program's frames come jemalloc's own (the hook is called from inside it) and only
  // those: the recorder cut its own off, and the analyzer strips jemalloc's by module.
  for (const char* function : {"leak_256", "leak_4096", "leak_1mib", "leak_odd_sizes"}) {
    SCOPED_TRACE(function);
    std::vector<const SiteInfo*> sites = f.SitesAllocatedIn(function);
    ASSERT_EQ(sites.size(), 1u) << f.DescribeSites();
    const SiteInfo& site = *sites[0];
    size_t i = 0;
    while (i < site.pcs.size() && f.ModuleAt(site.pcs[i]) != nullptr &&
           Basename(f.ModuleAt(site.pcs[i])->path) == "libjemalloc.so.2") {
      ++i;
    }
    if (jemalloc_first()) {
      EXPECT_GE(i, 1u);
    } else {
      EXPECT_EQ(i, 0u);
    }
    std::vector<std::string> frames = f.Frames(site);
    ASSERT_GE(frames.size(), i + 2);
    EXPECT_EQ(frames[i], function);
    EXPECT_EQ(frames[i + 1], "main");
  }
}

// In either order, no site holds what the recorder allocated for itself. With jemalloc in front,
// its hooks also report the recorder's own start-up allocations (the static C++ runtime's
// emergency pool, 71 KiB, allocated from libleakscope.so's constructors): they must not appear
// as a site of the program.
TEST_P(JemallocPreloaded, NoSiteHoldsTheRecordersOwnAllocations) {
  Dump dump;
  RunResult run;
  ASSERT_TRUE(Run("leak_known_sizes", &dump, &run));
  SiteFinder f(dump);
  for (const SiteInfo& site : dump.sites) {
    for (uint64_t pc : site.pcs) {
      const ModuleInfo* module = f.ModuleAt(pc);
      EXPECT_FALSE(module != nullptr && Basename(module->path) == "libleakscope.so")
          << f.DescribeSites();
    }
  }
}

TEST_P(JemallocPreloaded, DumpNamesJemallocAndCarriesItsOwnFigures) {
  Dump dump;
  RunResult run;
  ASSERT_TRUE(Run("leak_known_sizes", &dump, &run));
  const format::AllocatorFixed& a = dump.allocator.fixed;
  EXPECT_EQ(a.kind, static_cast<uint32_t>(format::AllocatorKind::kJemalloc));
  EXPECT_EQ(Basename(dump.allocator.path), "libjemalloc.so.2");
  uint32_t expected_flags = format::kAllocatorStats;
  if (jemalloc_first()) expected_flags |= format::kAllocatorInFront | format::kAllocatorHooked;
  EXPECT_EQ(a.flags, expected_flags);
  // At exit the program still holds its leaks, all from jemalloc.
  constexpr uint64_t kLeaked = 2560 + 12288 + 2 * 1048576 + 101018;
  EXPECT_GE(a.allocated, kLeaked);
  EXPECT_GE(a.active, a.allocated);
  EXPECT_GE(a.mapped, a.active);
  EXPECT_GT(a.resident, 0u);
}

TEST_P(JemallocPreloaded, ZlibStreamBlocksComeFromJemalloc) {
  Dump dump;
  RunResult run;
  ASSERT_TRUE(Run("jemalloc_zlib", &dump, &run));
  size_t glibc_growth = 0, jemalloc_growth = 0;
  ASSERT_EQ(std::sscanf(run.out.c_str(), "glibc %zu jemalloc %zu", &glibc_growth, &jemalloc_growth),
            2)
      << run.out;
  SiteFinder f(dump);
  StreamTotals streams = f.StreamsOpenedIn("deflate_leak", format::StreamKind::kDeflate);
  EXPECT_EQ(Streams(streams), "open 8 of 8") << f.DescribeSites();
  // Eight deflate streams at level 6 hold about 2 MiB, all through the recorder's allocator.
  EXPECT_GE(streams.open_bytes, 8u * 256 * 1024);
  // Each block once, at the opening site: the recorder's own call into jemalloc is not sampled
  // again by jemalloc's hooks.
  EXPECT_EQ(f.Through("deflate_leak").live_bytes, streams.open_bytes) << f.DescribeSites();
  EXPECT_GE(jemalloc_growth, streams.open_bytes);
  EXPECT_LT(glibc_growth, streams.open_bytes / 8) << "the streams' blocks came from glibc";
}

}  // namespace
}  // namespace leakscope::testing
// SPDX-License-Identifier: Apache-2.0
