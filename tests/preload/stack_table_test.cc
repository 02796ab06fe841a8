// SPDX-License-Identifier: Apache-2.0
#include "core/stack_table.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>
#include <vector>

#include "dump_format.h"

namespace leakscope::recorder {
namespace {

std::vector<uint64_t> MakeStack(uint64_t seed, uint32_t depth) {
  std::vector<uint64_t> pcs(depth);
  for (uint32_t i = 0; i < depth; ++i) pcs[i] = 0x400000 + seed * 4096 + i * 16 + 1;
  return pcs;
}

TEST(StackTable, SameStackSameIdDifferentStackDifferentId) {
  StackTable table;
  ASSERT_TRUE(table.Init(1024, 64));
  auto a = MakeStack(1, 10), b = MakeStack(2, 10), prefix = MakeStack(1, 9);
  uint32_t ia = table.Intern(a.data(), 10);
  EXPECT_NE(ia, format::kOverflowSiteId);
  EXPECT_EQ(table.Intern(a.data(), 10), ia);
  EXPECT_NE(table.Intern(b.data(), 10), ia);
  EXPECT_NE(table.Intern(prefix.data(), 9), ia);
  uint32_t empty = table.Intern(nullptr, 0);  // a failed unwind is a stack too
  EXPECT_EQ(table.Intern(nullptr, 0), empty);
}

// After a dlclose the same addresses may be another library's code: the same PCs in another
// mapping epoch are another stack, and each keeps its epoch.
TEST(StackTable, SamePcsInAnotherEpochAreAnotherStack) {
  StackTable table;
  ASSERT_TRUE(table.Init(1024, 64));
  auto a = MakeStack(1, 10);
  uint32_t before = table.Intern(a.data(), 10, 0);
  uint32_t after = table.Intern(a.data(), 10, 1);
  EXPECT_NE(before, format::kOverflowSiteId);
  EXPECT_NE(after, format::kOverflowSiteId);
  EXPECT_NE(before, after);
  EXPECT_EQ(table.Intern(a.data(), 10, 0), before);
  EXPECT_EQ(table.Intern(a.data(), 10, 1), after);
  EXPECT_EQ(table.Epoch(before), 0u);
  EXPECT_EQ(table.Epoch(after), 1u);
  // The same hash for both epochs (a caller's mistake or a collision) still keeps them apart.
  uint64_t hash = StackTable::Hash(a.data(), 10, 7);
  uint32_t seventh = table.Intern(a.data(), 10, 7, hash);
  EXPECT_NE(table.Intern(a.data(), 10, 8, hash), seventh);
}

TEST(StackTable, DeduplicatesUnderConcurrentInsert) {
  StackTable table;
  ASSERT_TRUE(table.Init(20000, 64));
  constexpr int kThreads = 8, kShared = 1000, kOwn = 1000;
  std::vector<std::vector<uint32_t>> shared_ids(kThreads, std::vector<uint32_t>(kShared));
  std::vector<std::vector<uint32_t>> own_ids(kThreads, std::vector<uint32_t>(kOwn));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kShared; ++i) {
        int s = (i * 7 + t * 131) % kShared;  // each thread in its own order
        auto pcs = MakeStack(s, 5 + s % 20);
        shared_ids[t][s] = table.Intern(pcs.data(), static_cast<uint32_t>(pcs.size()));
        auto own = MakeStack(100000 + t * kOwn + i, 12);
        own_ids[t][i] = table.Intern(own.data(), 12);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<uint32_t> all;
  for (int s = 0; s < kShared; ++s) {
    for (int t = 1; t < kThreads; ++t) ASSERT_EQ(shared_ids[t][s], shared_ids[0][s]) << s;
    all.insert(shared_ids[0][s]);
  }
  for (int t = 0; t < kThreads; ++t) all.insert(own_ids[t].begin(), own_ids[t].end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kShared + kThreads * kOwn));  // nothing lost/merged
  EXPECT_EQ(all.count(format::kOverflowSiteId), 0u);
  EXPECT_EQ(table.dropped(), 0u);

  // Every published stack comes back once, with its frames.
  std::map<uint32_t, std::vector<uint64_t>> seen;
  table.ForEach([&](uint32_t id, const uint64_t* pcs, uint32_t depth) {
    if (id == format::kOverflowSiteId) return;
    EXPECT_TRUE(seen.emplace(id, std::vector<uint64_t>(pcs, pcs + depth)).second);
  });
  EXPECT_EQ(seen.size(), all.size());
  for (int s = 0; s < kShared; ++s) EXPECT_EQ(seen[shared_ids[0][s]], MakeStack(s, 5 + s % 20));
}

TEST(StackTable, FullTableChargesOverflowSiteAndCountsDrops) {
  StackTable table;
  ASSERT_TRUE(table.Init(16, 8));
  int overflowed = 0;
  for (int s = 0; s < 40; ++s) {
    auto pcs = MakeStack(s, 4);
    if (table.Intern(pcs.data(), 4) == format::kOverflowSiteId) ++overflowed;
  }
  EXPECT_EQ(overflowed, 40 - 16);
  EXPECT_EQ(table.dropped(), 40u - 16);
  auto known = MakeStack(3, 4);
  EXPECT_NE(table.Intern(known.data(), 4), format::kOverflowSiteId);  // old stacks still found
}

TEST(StackTable, CountersArePerSiteAndSummedOverShards) {
  StackTable table;
  ASSERT_TRUE(table.Init(64, 8));
  auto a = MakeStack(1, 3), b = MakeStack(2, 3);
  uint32_t ia = table.Intern(a.data(), 3), ib = table.Intern(b.data(), 3);
  table.counters(ia, 0).alloc_count.fetch_add(3);
  table.counters(ia, kCounterShards - 1).alloc_count.fetch_add(4);
  table.counters(ia, 2).streams_opened[1].fetch_add(2);
  table.counters(ib, 1).alloc_bytes.fetch_add(100);
  EXPECT_EQ(table.Totals(ia).alloc_count, 7u);
  EXPECT_EQ(table.Totals(ia).streams_opened[1], 2u);
  EXPECT_EQ(table.Totals(ia).alloc_bytes, 0u);
  EXPECT_EQ(table.Totals(ib).alloc_bytes, 100u);
  EXPECT_EQ(table.Totals(ib).alloc_count, 0u);
  // Shards of different sites never alias.
  EXPECT_NE(&table.counters(ia, 1), &table.counters(ib, 0));
  EXPECT_NE(&table.counters(64, 0), &table.counters(0, 1));
}

}  // namespace
}  // namespace leakscope::recorder
