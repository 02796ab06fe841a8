// SPDX-License-Identifier: Apache-2.0
// Trend on synthetic series written with the shared encoder.
#include "analysis/trend.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <tuple>

#include "analysis/dump_discovery.h"
#include "temp_dir.h"
#include "test_dump_builder.h"

namespace leakscope::analyzer {
namespace {

class TrendTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kBase = 0x7f0000000000;

  // Site pcs are offsets in one missing module, so stacks print as app+0x... Allocations are
  // 64 bytes; each sampled one stands for `weight` allocations in the estimated counts.
  static void AddSite(Dump* dump, uint32_t id, uint64_t offset, uint64_t live_bytes,
                      uint64_t alloc_bytes, uint64_t weight = 1) {
    testing::AddSite(
        dump, id, {kBase + offset, kBase + 0x9000},
        {alloc_bytes / 64, alloc_bytes, (alloc_bytes - live_bytes) / 64, alloc_bytes - live_bytes},
        /*bytes_factor=*/1.0, /*count_factor=*/static_cast<double>(weight));
  }

  std::string Write(int64_t pid, uint64_t seq, int64_t seconds,
                    const std::function<void(Dump*)>& fill,
                    const std::string& executable = "/usr/lib/jvm/bin/java") {
    Dump dump;
    dump.process.executable = executable;
    dump.process.fixed.pid = pid;
    dump.process.fixed.instance_id = 1000 + pid;
    dump.process.fixed.seq = seq;
    dump.process.fixed.time_monotonic_ns = seconds * 1'000'000'000;
    dump.process.fixed.time_unix_ns = 1'700'000'000'000'000'000 + seconds * 1'000'000'000;
    dump.settings.sample_bytes = 1;
    testing::AddModule(&dump, "/nonexistent/app", kBase, 0x100000, /*id=*/0);
    fill(&dump);
    std::string path = testing::WriteDumpInto(dir_, dump);
    EXPECT_FALSE(path.empty()) << "cannot write into " << dir_;
    return path;
  }

  TrendResult Analyze(const TrendOptions& trend_options = {},
                      const TrendDumpCallback& on_dump = {}) {
    std::vector<std::string> files;
    std::string error;
    EXPECT_TRUE(ExpandDumpPath(dir_, &files, &error)) << error;
    SymbolizerOptions options;
    options.warnings = nullptr;
    symbolizer_ = std::make_unique<Symbolizer>(options);
    return AnalyzeTrend(files, trend_options, symbolizer_.get(), nullptr, on_dump);
  }

  std::string TopFrame(uint32_t stack) {
    return symbolizer_->frames().Get(symbolizer_->stacks().Get(stack)[0]).DisplayName();
  }

  testing::TempDir temp_;
  const std::string& dir_ = temp_.path();
  std::unique_ptr<Symbolizer> symbolizer_;
};

// A leak of 100 KiB per dump every 30 s (200 KiB/min) beside a site that churns, one that grew
// once, a stable one, and a slowly growing cache that is trimmed every fourth dump.
TEST_F(TrendTest, RanksTheSteadyLeakFirstWithTheRightSlope) {
  constexpr uint64_t kLeak = 100 * 1024;
  for (uint64_t i = 0; i < 12; ++i) {
    Write(7, i, 100 + 30 * int64_t(i), [&](Dump* d) {
      AddSite(d, 1, 0x1000, kLeak * (i + 1), kLeak * (i + 1));
      AddSite(d, 2, 0x2000, i % 2 == 0 ? 3'000'000 : 200'000, 10'000'000 * (i + 1));
      AddSite(d, 3, 0x3000, i == 0 ? 0 : 5'000'000, 5'000'000);
      AddSite(d, 4, 0x4000, 1'000'000, 1'000'000);
      AddSite(d, 5, 0x5000, (i % 4 == 3 ? 100'000 : 400'000) + 10'000 * i, 9'000'000);
    });
  }
  TrendResult r = Analyze();
  ASSERT_EQ(r.processes.size(), 1u);
  EXPECT_EQ(r.dumps_read, 12u);
  EXPECT_TRUE(r.errors.empty());
  ASSERT_EQ(r.suspects.size(), 1u);
  EXPECT_EQ(TopFrame(r.suspects[0].stack), "app+0x1000");
  EXPECT_NEAR(r.suspects[0].growth_bytes_per_min, 200.0 * 1024, 0.1 * 200 * 1024);
  EXPECT_EQ(r.suspects[0].live_bytes_last, 12 * kLeak);
  EXPECT_DOUBLE_EQ(r.suspects[0].monotonic_fraction(), 1.0);
  EXPECT_EQ(r.suspects[0].processes, 1u);
  for (const SuspectTrend& s : r.sites) {
    if (TopFrame(s.stack) != "app+0x1000") {
      EXPECT_EQ(s.processes, 0u) << TopFrame(s.stack);
    }
  }
}

// A dump written while a library was being loaded can hold a stack in that library without
// listing the library (seen on Temurin: the Deflater leak's first dump). Its PC then reads as JVM
// code; the later dumps, which list it, must name the frame, not the first dump's stale stack.
TEST_F(TrendTest, NamesAStackByTheDumpsThatListItsModule) {
  constexpr uint64_t kLib = 0x7e0000000000;
  constexpr uint64_t kLeak = 100 * 1024;
  for (uint64_t i = 0; i < 8; ++i) {
    Write(7, i, 100 + 30 * int64_t(i), [&](Dump* d) {
      if (i > 0) testing::AddModule(d, "/nonexistent/libzip.so", kLib, 0x10000, /*id=*/1);
      testing::AddSite(d, 1, {kLib + 0x500, kBase + 0x9000},
                       {kLeak * (i + 1) / 64, kLeak * (i + 1), 0, 0});
    });
  }
  TrendResult r = Analyze();
  ASSERT_EQ(r.suspects.size(), 1u);
  EXPECT_EQ(TopFrame(r.suspects[0].stack), "libzip.so+0x500");
  EXPECT_EQ(r.suspects[0].live_bytes_last, 8 * kLeak);
}

TEST_F(TrendTest, ReportsEstimatedAndSampledLiveCountsOfTheLastDumps) {
  // Two processes leak 64-byte blocks; every sampled block stands for 3 estimated ones.
  for (int64_t pid : {21, 22}) {
    for (uint64_t i = 0; i < 4; ++i) {
      Write(pid, i, 60 * int64_t(i),
            [&](Dump* d) { AddSite(d, 1, 0x1000, 6400 * (i + 1), 6400 * (i + 1), /*weight=*/3); });
    }
  }
  TrendResult r = Analyze();
  ASSERT_EQ(r.suspects.size(), 1u);
  EXPECT_EQ(r.suspects[0].live_bytes_last, 2u * 25600);
  EXPECT_EQ(r.suspects[0].sampled_live_count_last, 2u * 400);
  EXPECT_EQ(r.suspects[0].live_count_last, 2u * 1200);
  ASSERT_EQ(r.processes.size(), 2u);
  EXPECT_EQ(r.processes[0].last_live_count, 1200u);
}

// LEAKSCOPE_MAX_DUMPS removes dumps from the middle of a series (preload/core/dump_retention.h):
// what is left has gaps in seq and uneven spacing in time. The slope is per minute of real time, so
// a thinned series of a steady leak gives the same rate, and the process spans its first to last.
TEST_F(TrendTest, ThinnedSeriesWithGapsInSeqKeepsTheSlopeAndTheSpan) {
  constexpr uint64_t kLeak = 64 * 1024;  // per dump, one dump a minute: 64 KiB/min
  for (uint64_t seq : {0, 1, 2, 4, 8, 12, 16, 23}) {
    Write(9, seq, 60 * int64_t(seq),
          [&](Dump* d) { AddSite(d, 1, 0x1000, kLeak * (seq + 1), kLeak * (seq + 1)); });
  }
  TrendResult r = Analyze();
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.dumps_read, 8u);
  ASSERT_EQ(r.processes.size(), 1u);
  EXPECT_EQ(r.processes[0].dumps, 8u);
  EXPECT_EQ(r.processes[0].first_seq, 0u);
  EXPECT_EQ(r.processes[0].last_seq, 23u);
  ASSERT_EQ(r.suspects.size(), 1u);
  EXPECT_EQ(TopFrame(r.suspects[0].stack), "app+0x1000");
  EXPECT_NEAR(r.suspects[0].growth_bytes_per_min, 64.0 * 1024, 0.01 * 64 * 1024);
  EXPECT_EQ(r.suspects[0].live_bytes_last, 24 * kLeak);
}

TEST_F(TrendTest, KeepsTheSlopeWhenThinningLongSeries) {
  // 150 dumps: more than kMaxPoints, so the kept points are thinned.
  for (uint64_t i = 0; i < 150; ++i) {
    Write(8, i, 60 * int64_t(i), [&](Dump* d) {
      AddSite(d, 1, 0x1000, 4096 * (i + 1), 4096 * (i + 1));
      AddSite(d, 2, 0x2000, i % 3 == 0 ? 50'000 : 10'000, 100'000 * (i + 1));
    });
  }
  TrendResult r = Analyze();
  ASSERT_EQ(r.suspects.size(), 1u);
  EXPECT_EQ(TopFrame(r.suspects[0].stack), "app+0x1000");
  EXPECT_NEAR(r.suspects[0].growth_bytes_per_min, 4096, 1e-6);
  EXPECT_EQ(r.suspects[0].intervals, 149u);
}

TEST_F(TrendTest, MatchesSitesAcrossProcessesAndOrdersBySeq) {
  // Written out of order; two processes leak at the same site, one does not.
  for (int64_t pid : {11, 12, 13}) {
    for (uint64_t i : {3, 0, 2, 1}) {
      Write(pid, i, 10 * int64_t(i), [&](Dump* d) {
        AddSite(d, 1, 0x1000, pid == 13 ? 6000 : 6000 * (i + 1), 6000 * (i + 1));
      });
    }
  }
  TrendResult r = Analyze();
  ASSERT_EQ(r.processes.size(), 3u);
  ASSERT_EQ(r.suspects.size(), 1u);
  EXPECT_EQ(r.suspects[0].processes, 2u);
  EXPECT_EQ(r.suspects[0].processes_seen, 3u);
  EXPECT_NEAR(r.suspects[0].growth_bytes_per_min, 2 * 36000.0, 1e-6);
}

// Dumps collected from a YARN container recorded without LEAKSCOPE_PROCESS: the executor's JVM
// and the launch script's own commands (here a `find` whose one site grew too). With --process
// java only the JVM counts, as a process and in "growing in k of n".
TEST_F(TrendTest, CountsOnlyTheNamedExecutablesWithProcess) {
  for (uint64_t i = 0; i < 4; ++i) {
    Write(21, i, 10 * int64_t(i),
          [&](Dump* d) { AddSite(d, 1, 0x1000, 6000 * (i + 1), 6000 * (i + 1)); });
    Write(
        22, i, 10 * int64_t(i),
        [&](Dump* d) { AddSite(d, 1, 0x1000, 6000 * (i + 1), 6000 * (i + 1)); }, "/usr/bin/find");
  }
  Write(
      23, 0, 0, [&](Dump* d) { AddSite(d, 1, 0x1000, 6000, 6000); }, "/bin/bash");
  TrendResult all = Analyze();
  ASSERT_EQ(all.processes.size(), 3u);
  ASSERT_EQ(all.suspects.size(), 1u);
  EXPECT_EQ(all.suspects[0].processes, 2u);

  TrendOptions java;
  java.processes = "java";
  TrendResult r = Analyze(java);
  ASSERT_EQ(r.processes.size(), 1u);
  EXPECT_EQ(r.processes[0].pid, 21);
  EXPECT_EQ(r.processes_left_out, 2u);
  EXPECT_EQ(r.dumps_left_out, 5u);
  EXPECT_EQ(r.dumps_read, 4u);
  ASSERT_EQ(r.suspects.size(), 1u);
  EXPECT_EQ(r.suspects[0].processes, 1u);
  EXPECT_EQ(r.suspects[0].processes_seen, 1u);
  EXPECT_NEAR(r.suspects[0].growth_bytes_per_min, 36000.0, 1e-6);
}

TEST_F(TrendTest, AnalysesTheOtherFilesWhenOneIsCorrupt) {
  for (uint64_t i = 0; i < 4; ++i) {
    std::string path = Write(9, i, 60 * int64_t(i), [&](Dump* d) {
      AddSite(d, 1, 0x1000, 1000 * (i + 1), 1000 * (i + 1));
    });
    if (i == 2) truncate(path.c_str(), 100);
  }
  ASSERT_TRUE(testing::WriteFile(temp_.Sub("random.dump"), "definitely not a dump"));
  TrendResult r = Analyze();
  EXPECT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.dumps_read, 3u);
  ASSERT_EQ(r.suspects.size(), 1u);
  EXPECT_EQ(r.suspects[0].intervals, 2u);
}

// html builds its per-dump series in this callback instead of reading the dumps again, so it
// must see exactly the dumps the trend counts: each process's in seq order, numbered in the
// order of the result's processes, with the stacks the trend found for its sites and streams.
// Two workers: the calls for the two processes may interleave.
TEST_F(TrendTest, CallsBackOncePerDumpReadWithItsProcessNumberAndStacks) {
  for (int64_t pid : {31, 32}) {
    for (uint64_t i : {2, 0, 1}) {
      std::string path = Write(pid, i, 60 * int64_t(i), [&](Dump* d) {
        AddSite(d, 1, 0x1000, 1000, 1000);
        AddSite(d, 2, 0x2000, 500, 500);
        // One stream at site 2, one at a site with no record in the dump.
        d->streams.push_back(format::StreamsFixed{
            .site_id = 2, .kind = 1, .open_count = 1, .open_bytes = 0, .opened_total = 1});
        d->streams.push_back(format::StreamsFixed{
            .site_id = 9, .kind = 2, .open_count = 1, .open_bytes = 0, .opened_total = 1});
      });
      if (pid == 31 && i == 1) truncate(path.c_str(), 100);
    }
  }
  Write(
      33, 0, 0, [&](Dump* d) { AddSite(d, 1, 0x1000, 1000, 1000); }, "/usr/bin/find");
  TrendOptions java;
  java.processes = "java";
  java.jobs = 2;
  std::mutex lock;
  std::map<size_t, std::vector<std::pair<int64_t, uint64_t>>> calls;  // number -> (pid, seq)
  std::vector<DumpStacks> seen;
  TrendResult r = Analyze(java, [&](size_t process, const DumpEntry& entry, const Dump& dump,
                                    const DumpStacks& stacks) {
    EXPECT_EQ(entry.process.fixed.seq, dump.process.fixed.seq);
    std::lock_guard<std::mutex> guard(lock);
    calls[process].emplace_back(dump.process.fixed.pid, dump.process.fixed.seq);
    seen.push_back(stacks);
  });
  using Calls = std::vector<std::pair<int64_t, uint64_t>>;
  ASSERT_EQ(calls.size(), 2u);
  std::vector<Calls> in_order;
  for (auto& [number, list] : calls) in_order.push_back(list);
  EXPECT_EQ(in_order[0], (Calls{{31, 0}, {31, 2}}));
  EXPECT_EQ(in_order[1], (Calls{{32, 0}, {32, 1}, {32, 2}}));
  EXPECT_EQ(r.dumps_read, 5u);
  ASSERT_EQ(r.processes.size(), 2u);
  EXPECT_EQ(r.processes[0].pid, 31);
  EXPECT_EQ(r.processes[1].pid, 32);

  // Every dump: its two sites' stacks (the same in both processes, which share the modules),
  // site 2's stream on site 2's stack, the orphan stream on a stack of its own.
  ASSERT_EQ(seen.size(), 5u);
  const DumpStacks& first = seen[0];
  ASSERT_EQ(first.sites.size(), 2u);
  ASSERT_EQ(first.streams.size(), 2u);
  EXPECT_NE(first.sites[0], first.sites[1]);
  EXPECT_EQ(first.streams[0], first.sites[1]);
  EXPECT_NE(first.streams[1], first.sites[0]);
  EXPECT_NE(first.streams[1], first.sites[1]);
  std::set<uint32_t> trend_stacks;
  for (const SuspectTrend& site : r.sites) trend_stacks.insert(site.stack);
  EXPECT_EQ(trend_stacks, (std::set<uint32_t>{first.sites[0], first.sites[1]}));
  for (const DumpStacks& stacks : seen) {
    EXPECT_EQ(stacks.sites, first.sites);
    EXPECT_EQ(stacks.streams, first.streams);
  }
}

}  // namespace
}  // namespace leakscope::analyzer
