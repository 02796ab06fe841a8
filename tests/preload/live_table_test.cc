// SPDX-License-Identifier: Apache-2.0
#include "core/live_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace leakscope::recorder {
namespace {

// Both layouts of the table (see live_table.h): exact mode, where neighbouring chunks of a dense
// heap are all in the table, and default sampling, where a sample stands for 128 KiB on average.
struct Layout {
  const char* name;
  uint64_t mean_sample_bytes;
  uint64_t spacing;  // between the test's addresses: as dense as the layout must take
};
constexpr Layout kExact{"exact", 1, 48};
constexpr Layout kSampled{"sampled", 128 << 10, 5000};  // at most one per 4 KiB granule

class LiveTableTest : public testing::TestWithParam<Layout> {
 protected:
  uintptr_t Address(int thread, int i) const {
    return 0x7f0000000000ull + thread * 0x10000000ull + i * GetParam().spacing;
  }
  bool Init(LiveTable& table, uint64_t max_live) {
    return table.Init(max_live, GetParam().mean_sample_bytes);
  }
};
INSTANTIATE_TEST_SUITE_P(Layouts, LiveTableTest, testing::Values(kExact, kSampled),
                         [](const testing::TestParamInfo<Layout>& info) {
                           return info.param.name;
                         });

TEST_P(LiveTableTest, InsertTakeRoundTrip) {
  LiveTable table;
  ASSERT_TRUE(Init(table, 1024));
  EXPECT_FALSE(table.MaybeContains(0x1000));
  ASSERT_TRUE(table.Insert(0x1000, 77, 5, /*birth_s=*/0));
  EXPECT_TRUE(table.MaybeContains(0x1000));
  LiveTable::Entry entry;
  ASSERT_TRUE(table.Take(0x1000, &entry));
  EXPECT_EQ(entry.size, 77u);
  EXPECT_EQ(entry.stack_id, 5u);
  EXPECT_FALSE(entry.exact);
  ASSERT_TRUE(table.Insert(0x1000, 1ull << 38, 0xffffff, /*birth_s=*/0, /*exact=*/true));
  ASSERT_TRUE(table.Take(0x1000, &entry));
  EXPECT_EQ(entry.size, 1ull << 38);
  EXPECT_EQ(entry.stack_id, 0xffffffu);
  EXPECT_TRUE(entry.exact);
  EXPECT_FALSE(table.Take(0x1000, &entry));  // a second free finds nothing
  EXPECT_FALSE(table.MaybeContains(0x1000));
}

// Each entry keeps the birth it was inserted with: Take returns it, ForEach reports it, and an
// entry put back (a failed realloc) keeps its own rather than being born again.
TEST_P(LiveTableTest, BirthRoundTrip) {
  LiveTable table;
  ASSERT_TRUE(Init(table, 1024));
  ASSERT_TRUE(table.Insert(Address(0, 0), 64, 3, /*birth_s=*/17));
  ASSERT_TRUE(table.Insert(Address(0, 1), 64, 3, /*birth_s=*/4000000000u, /*exact=*/true));
  ASSERT_TRUE(table.Insert(Address(0, 2), 64, 4, /*birth_s=*/0));
  std::multiset<std::pair<uint32_t, uint32_t>> seen;  // (stack id, birth)
  table.ForEach([&](const LiveTable::Entry& e) { seen.insert({e.stack_id, e.birth_s}); });
  EXPECT_EQ(seen,
            (std::multiset<std::pair<uint32_t, uint32_t>>{{3, 17}, {3, 4000000000u}, {4, 0}}));

  LiveTable::Entry entry;
  ASSERT_TRUE(table.Take(Address(0, 1), &entry));
  EXPECT_EQ(entry.birth_s, 4000000000u);
  EXPECT_TRUE(entry.exact);
  ASSERT_TRUE(table.Take(Address(0, 0), &entry));
  EXPECT_EQ(entry.birth_s, 17u);
  // Put back as a failed realloc does; a new block at another address reuses the freed slots.
  ASSERT_TRUE(table.Insert(Address(0, 0), entry));
  ASSERT_TRUE(table.Insert(Address(0, 1), 8, 5, /*birth_s=*/99));
  LiveTable::Entry back;
  ASSERT_TRUE(table.Take(Address(0, 0), &back));
  EXPECT_EQ(back.birth_s, 17u);
  EXPECT_EQ(back.size, 64u);
  EXPECT_EQ(back.stack_id, 3u);
  ASSERT_TRUE(table.Take(Address(0, 1), &back));
  EXPECT_EQ(back.birth_s, 99u);
}

TEST_P(LiveTableTest, ClampsHugeSizes) {
  LiveTable table;
  ASSERT_TRUE(Init(table, 64));
  ASSERT_TRUE(table.Insert(0x2000, 1ull << 50, 1, 0));
  LiveTable::Entry entry;
  ASSERT_TRUE(table.Take(0x2000, &entry));
  EXPECT_EQ(entry.size, LiveTable::kMaxSize);
}

// 8 threads insert their own blocks, then each frees another thread's: every entry is taken
// exactly once, nothing is lost or duplicated, and the table ends empty.
TEST_P(LiveTableTest, CrossThreadFreesLoseNothing) {
  LiveTable table;
  constexpr int kThreads = 8, kPerThread = 20000;
  ASSERT_TRUE(Init(table, kThreads * kPerThread));
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i)
        ASSERT_TRUE(table.Insert(Address(t, i), i + 1, t + 1, 0));
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();
      int victim = (t + 1) % kThreads;
      for (int i = 0; i < kPerThread; ++i) {
        LiveTable::Entry entry;
        ASSERT_TRUE(table.Take(Address(victim, i), &entry)) << victim << " " << i;
        ASSERT_EQ(entry.size, static_cast<uint64_t>(i + 1));
        ASSERT_EQ(entry.stack_id, static_cast<uint32_t>(victim + 1));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  int left = 0;
  table.ForEach([&](const LiveTable::Entry&) { ++left; });
  EXPECT_EQ(left, 0);
  EXPECT_EQ(table.dropped(), 0u);
}

TEST_P(LiveTableTest, ConcurrentInsertAndTakeOfSameAddressesStaysConsistent) {
  // Threads churn insert/take on their own addresses while the table is scanned.
  LiveTable table;
  ASSERT_TRUE(Init(table, 4096));
  std::atomic<bool> stop{false};
  std::thread scanner([&] {
    while (!stop.load()) {
      table.ForEach([](const LiveTable::Entry& entry) {
        ASSERT_EQ(entry.size, static_cast<uint64_t>(entry.stack_id) * 10);  // never torn
        ASSERT_EQ(entry.exact, entry.stack_id % 2 == 0);
        // A birth some insert wrote (a slot reused between the scan's reads may pair one entry's
        // value with the next one's birth: the scan is a racy snapshot), never garbage.
        ASSERT_GE(entry.birth_s, 100u);
        ASSERT_LE(entry.birth_s, 107u);
      });
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        for (int i = 0; i < 200; ++i) {
          ASSERT_TRUE(table.Insert(Address(t, i), (t + 1) * 10, t + 1, /*birth_s=*/t + 100,
                                   (t + 1) % 2 == 0));
        }
        for (int i = 0; i < 200; ++i) {
          LiveTable::Entry entry;
          ASSERT_TRUE(table.Take(Address(t, i), &entry));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  stop = true;
  scanner.join();
}

TEST_P(LiveTableTest, FullNeighbourhoodDropsAndCounts) {
  LiveTable table;
  ASSERT_TRUE(Init(table, 16));  // 32 slots
  int inserted = 0, refused = 0;
  for (int i = 0; i < 100; ++i) (table.Insert(Address(0, i), 8, 1, 0) ? inserted : refused)++;
  EXPECT_EQ(inserted, 32);
  EXPECT_EQ(refused, 68);
  EXPECT_EQ(table.dropped(), 68u);
  std::set<uintptr_t> found;
  for (int i = 0; i < 100; ++i) {
    LiveTable::Entry entry;
    if (table.Take(Address(0, i), &entry)) found.insert(Address(0, i));
  }
  EXPECT_EQ(found.size(), 32u);
}

TEST_P(LiveTableTest, FilterRulesOutMostUnsampledAddresses) {
  LiveTable table;
  ASSERT_TRUE(Init(table, 262144));
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(table.Insert(Address(1, i * 1000), 8, 1, 0));
  int maybe = 0;
  for (int i = 0; i < 100000; ++i) maybe += table.MaybeContains(Address(2, i)) ? 1 : 0;
  EXPECT_LT(maybe, 100000 / 20);  // under 5% false positives at this load
}

// Heaps at the same offset of distant chunks of address space (malloc arenas are 64 MiB-aligned)
// would map to the same slots but for each chunk's rotation; at a realistic sample density (one
// per 128 KiB), 64 of them still fit without a drop. Without the rotation every slot they use
// would be wanted 64 times over, far past the probe window.
TEST(LiveTableSampledLayout, AlignedHeapsInDistantChunksDoNotPileUp) {
  LiveTable table;
  constexpr uint64_t kMaxLive = 262144;  // 2^19 slots of 4 KiB granules: 2 GiB chunks
  ASSERT_TRUE(table.Init(kMaxLive, 128 << 10));
  constexpr int kHeaps = 64, kPerHeap = 1000;
  auto address = [](int heap, int i) {
    return 0x7f0000000000ull + (static_cast<uint64_t>(heap) << 31) +
           static_cast<uint64_t>(i) * (128 << 10) + 16;
  };
  for (int h = 0; h < kHeaps; ++h) {
    for (int i = 0; i < kPerHeap; ++i) ASSERT_TRUE(table.Insert(address(h, i), 64, h + 1, 0));
  }
  EXPECT_EQ(table.dropped(), 0u);
  for (int h = 0; h < kHeaps; ++h) {
    for (int i = 0; i < kPerHeap; ++i) {
      LiveTable::Entry entry;
      ASSERT_TRUE(table.Take(address(h, i), &entry));
      ASSERT_EQ(entry.stack_id, static_cast<uint32_t>(h + 1));
    }
  }
}

}  // namespace
}  // namespace leakscope::recorder
