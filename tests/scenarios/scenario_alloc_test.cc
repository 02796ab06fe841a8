// Scenarios about what a single-threaded program allocates and frees: exact counts and bytes per
// site with every allocation recorded (LEAKSCOPE_SAMPLE_BYTES=1), and what the dump says about
// the run itself.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "scenario_fixture.h"

namespace leakscope::testing {
namespace {

using format::kModuleMain;

TEST(LeakKnownSizes, ShowsExactBytesAndCountAtEachSite) {
  TempDir dir;
  Dump dump;
  ASSERT_TRUE(RunExact(dir, Program("leak_known_sizes"), {}, &dump));
  SiteFinder f(dump);
  ExpectKnownLeaks(f);
  EXPECT_EQ(f.AllocatedIn("leak_256").live_est_bytes, 2560u);
}

TEST(LeakKnownSizes, EachLeakIsOneSiteStartingInItsFunction) {
  TempDir dir;
  Dump dump;
  ASSERT_TRUE(RunExact(dir, Program("leak_known_sizes"), {}, &dump));
  SiteFinder f(dump);
  for (const char* function : {"leak_256", "leak_4096", "leak_1mib", "leak_odd_sizes"}) {
    SCOPED_TRACE(function);
    std::vector<const SiteInfo*> sites = f.SitesAllocatedIn(function);
    ASSERT_EQ(sites.size(), 1u) << f.DescribeSites();
    std::vector<std::string> frames = f.Frames(*sites[0]);
    // The recorder's own frames are cut off: the innermost PC is the call to malloc.
    ASSERT_GE(frames.size(), 2u);
    EXPECT_EQ(frames[0], function);
    EXPECT_EQ(frames[1], "main");
    const ModuleInfo* module = f.ModuleAt(sites[0]->pcs[0]);
    ASSERT_NE(module, nullptr);
    EXPECT_TRUE(module->fixed.flags & kModuleMain);
  }
}

TEST(LeakKnownSizes, ProcessSettingsAndCountersDescribeTheRun) {
  TempDir dir;
  Dump dump;
  RunResult run;
  int64_t before_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  ASSERT_TRUE(RunExact(dir, Program("leak_known_sizes"), {}, &dump, &run));
  int64_t after_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();

  const ProcessInfo& p = dump.process;
  EXPECT_EQ(p.fixed.pid, run.pid);
  EXPECT_EQ(p.fixed.ppid, getpid());
  EXPECT_EQ(p.fixed.seq, 0u);
  EXPECT_NE(p.fixed.instance_id, 0u);
  EXPECT_GE(p.fixed.start_unix_ns, before_ns);
  EXPECT_LE(p.fixed.time_unix_ns, after_ns);
  EXPECT_GT(p.fixed.time_monotonic_ns, 0);
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  EXPECT_EQ(p.host, host);
  EXPECT_EQ(std::filesystem::canonical(p.executable),
            std::filesystem::canonical(Program("leak_known_sizes")));
  EXPECT_EQ(p.args, std::vector<std::string>{Program("leak_known_sizes")});

  // The documented defaults, apart from the two Exact() sets.
  EXPECT_EQ(dump.settings.sample_bytes, 1u);
  EXPECT_EQ(dump.settings.interval_ns, 0u);
  EXPECT_EQ(dump.settings.depth, 64u);
  EXPECT_EQ(dump.settings.max_stacks, 65536u);
  EXPECT_EQ(dump.settings.max_live, 262144u);
  EXPECT_EQ(dump.settings.max_streams, 65536u);
  EXPECT_TRUE(dump.settings.flags & format::kSettingFollowChildren);

  EXPECT_GE(dump.counters.sampled_allocs, 19u);  // the program's own 19 blocks, at least
  EXPECT_EQ(dump.counters.dropped_live_full, 0u);
  EXPECT_EQ(dump.counters.dropped_stack_full, 0u);
  EXPECT_EQ(dump.counters.unwind_failures, 0u);
  EXPECT_EQ(dump.counters.zlib_calls, 0u);
  EXPECT_GE(dump.memory.malloc_in_use_bytes, 2u * 1048576 + 2560 + 12288 + 101018);
  EXPECT_GE(dump.memory.malloc_mmap_bytes, 2u * 1048576);  // the two 1 MiB blocks
}

// glibc raises its mmap threshold to the size of every mmap-served block freed. The recorder's
// own big buffers (the dump's write buffer, the per-sample scratch of 20000 live blocks) come
// from mmap directly, so after a dump the program's 1 MiB block is still mmap-served; with them
// malloc'ed, it came from the heap in 1 run of ~30 of the test above (a dump at start-up).
TEST(MmapThreshold, ADumpLeavesMallocsThresholdWhereTheProgramHadIt) {
  TempDir dir;
  RunResult run =
      RunIn(dir, Program("mmap_threshold"), Exact({dir.path()}, {{"LEAKSCOPE_INTERVAL", "100ms"}}));
  EXPECT_TRUE(CleanExit(run)) << "101: the block came from the heap; 102: no dump in 20 s";
}

TEST(LeakKnownSizes, ModulesCarryTheirFilesBuildIds) {
  TempDir dir;
  Dump dump;
  ASSERT_TRUE(RunExact(dir, Program("leak_known_sizes"), {}, &dump));
  int checked = 0;
  bool saw_main = false, saw_libc = false;
  for (const ModuleInfo& m : dump.modules) {
    if (m.path.empty() || m.path[0] != '/') continue;  // e.g. the vDSO
    ElfSymbols file(m.path);
    if (!file.ok()) continue;
    SCOPED_TRACE(m.path);
    EXPECT_EQ(m.build_id, file.build_id());
    ++checked;
    if (m.fixed.flags & kModuleMain) {
      saw_main = true;
      EXPECT_FALSE(m.build_id.empty());
      EXPECT_EQ(std::filesystem::canonical(m.path),
                std::filesystem::canonical(Program("leak_known_sizes")));
    }
    if (Basename(m.path) == "libc.so.6") saw_libc = true;
  }
  EXPECT_TRUE(saw_main);
  EXPECT_TRUE(saw_libc);
  EXPECT_GE(checked, 3);
}

TEST(LeakKnownSizes, WritesOneDumpAtExitWithMode0600AndNoOtherFile) {
  for (mode_t mask : {mode_t{022}, mode_t{0}}) {
    SCOPED_TRACE("umask " + std::to_string(mask));
    TempDir dir;
    RunOptions options = Exact();
    options.umask = mask;
    RunResult run = RunIn(dir, Program("leak_known_sizes"), options);
    ASSERT_TRUE(CleanExit(run));
    std::string name = "leakscope." + std::to_string(run.pid) + ".0.dump";
    EXPECT_EQ(ListDir(dir.path()), std::vector<std::string>{name});  // no temporary left behind
    struct stat st;
    ASSERT_EQ(lstat(dir.Sub(name).c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    EXPECT_EQ(st.st_uid, getuid());
  }
}

TEST(FreeAll, FreedMemoryLeavesNoLiveBytes) {
  TempDir dir;
  Dump dump;
  ASSERT_TRUE(RunExact(dir, Program("free_all"), {}, &dump));
  SiteFinder f(dump);
  EXPECT_EQ(Totals(f.AllocatedIn("alloc_blocks")), "alloc 100/40400, free 100/40400, live 0/0")
      << f.DescribeSites();
  EXPECT_EQ(Totals(f.AllocatedIn("churn")), "alloc 1000/64000, free 1000/64000, live 0/0");
  EXPECT_EQ(Totals(f.AllocatedIn("big_then_free")), "alloc 1/2097152, free 1/2097152, live 0/0");
  EXPECT_EQ(Totals(f.AllocatedIn("calloc_then_free")), "alloc 10/630, free 10/630, live 0/0");
  EXPECT_EQ(f.AllocatedIn("alloc_blocks").live_est_bytes, 0u);
  // Frees are charged to the allocating site, not to the function that frees.
  EXPECT_EQ(Totals(f.AllocatedIn("free_blocks")), "alloc 0/0, free 0/0, live 0/0");
}

// One run of alloc_family shared by the table below.
class AllocFamily : public ::testing::TestWithParam<std::pair<const char*, const char*>> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    dump_ = new Dump;
    ::testing::AssertionResult ok = RunExact(*dir_, Program("alloc_family"), {}, dump_);
    error_ = ok ? "" : ok.message();
  }
  static void TearDownTestSuite() {
    delete dump_;
    delete dir_;
  }
  static TempDir* dir_;
  static Dump* dump_;
  static std::string error_;
};
TempDir* AllocFamily::dir_;
Dump* AllocFamily::dump_;
std::string AllocFamily::error_;

TEST_P(AllocFamily, TracksEachCallExactly) {
  ASSERT_EQ(error_, "");
  SiteFinder f(*dump_);
  auto [function, expected] = GetParam();
  EXPECT_EQ(Totals(f.AllocatedIn(function)), expected) << f.DescribeSites();
}

// A realloc is a free of the old block (charged to its allocating site) and an allocation at the
// realloc call; see alloc_family.c.
INSTANTIATE_TEST_SUITE_P(
    Calls, AllocFamily,
    ::testing::Values(std::pair{"family_calloc", "alloc 1/1000, free 0/0, live 1/1000"},
                      std::pair{"grow_origin", "alloc 1/100, free 1/100, live 0/0"},
                      std::pair{"grow_realloc", "alloc 1/200, free 0/0, live 1/200"},
                      std::pair{"shrink_origin", "alloc 1/5000, free 1/5000, live 0/0"},
                      std::pair{"shrink_realloc", "alloc 1/1000, free 0/0, live 1/1000"},
                      std::pair{"move_origin", "alloc 1/64, free 1/64, live 0/0"},
                      std::pair{"move_blocker", "alloc 1/64, free 0/0, live 1/64"},
                      std::pair{"move_realloc", "alloc 1/4194304, free 0/0, live 1/4194304"},
                      std::pair{"realloc_null", "alloc 1/777, free 0/0, live 1/777"},
                      std::pair{"zero_origin", "alloc 1/300, free 1/300, live 0/0"},
                      std::pair{"family_reallocarray", "alloc 1/300, free 0/0, live 1/300"},
                      std::pair{"family_posix_memalign", "alloc 1/1000, free 0/0, live 1/1000"},
                      std::pair{"family_aligned_alloc", "alloc 1/512, free 0/0, live 1/512"},
                      std::pair{"family_memalign", "alloc 1/300, free 0/0, live 1/300"},
                      std::pair{"family_valloc", "alloc 1/5000, free 0/0, live 1/5000"},
                      std::pair{"aligned_then_free", "alloc 3/10224, free 3/10224, live 0/0"},
                      std::pair{"usable_then_free", "alloc 1/100, free 1/100, live 0/0"}),
    [](const auto& info) { return std::string(info.param.first); });

TEST_F(AllocFamily, ReallocToZeroLeavesNothingLive) {
  ASSERT_EQ(error_, "");
  SiteTotals t = SiteFinder(*dump_).AllocatedIn("realloc_zero");
  EXPECT_EQ(t.live_count, 0u);
  EXPECT_EQ(t.live_bytes, 0u);
}

TEST_F(AllocFamily, PvallocIsOneLiveBlockOfTheRequestOrAPage) {
  ASSERT_EQ(error_, "");
  SiteTotals t = SiteFinder(*dump_).AllocatedIn("family_pvalloc");
  EXPECT_EQ(t.live_count, 1u);
  EXPECT_TRUE(t.live_bytes == 100 || t.live_bytes == static_cast<uint64_t>(getpagesize()))
      << t.live_bytes;
}

TEST(CxxNew, OperatorNewAndDeleteAreTrackedAtTheCaller) {
  TempDir dir;
  Dump dump;
  ASSERT_TRUE(RunExact(dir, Program("cxx_new"), {}, &dump));
  SiteFinder f(dump);
  EXPECT_EQ(Totals(f.AllocatedIn("new_leak")), "alloc 4/1200, free 0/0, live 4/1200")
      << f.DescribeSites();
  EXPECT_EQ(Totals(f.AllocatedIn("new_delete")), "alloc 100/7400, free 100/7400, live 0/0");
}

TEST(CallocOverflow, FailsWithEnomemAndRecordsNothing) {
  TempDir dir;
  Dump dump;
  // The program itself checks NULL/ENOMEM for each call and exits 100 on a mismatch.
  ASSERT_TRUE(RunExact(dir, Program("calloc_overflow"), {}, &dump));
  SiteFinder f(dump);
  EXPECT_EQ(Totals(f.AllocatedIn("overflow_calls")), "alloc 0/0, free 0/0, live 0/0")
      << f.DescribeSites();
  // A failed realloc frees nothing: the old block stays live at its site.
  EXPECT_EQ(Totals(f.AllocatedIn("overflow_origin")), "alloc 1/128, free 0/0, live 1/128");
  EXPECT_EQ(Totals(f.AllocatedIn("realloc_too_big")), "alloc 0/0, free 0/0, live 0/0")
      << f.DescribeSites();
}

TEST(ForeignFree, FreeingBlocksTheRecorderNeverSawIsHarmless) {
  TempDir dir;
  Dump dump;
  ASSERT_TRUE(RunExact(dir, Program("foreign_free"), {}, &dump));
  SiteFinder f(dump);
  // Allocated by libearly's constructor, possibly before the recorder started: whether or not
  // they were recorded, all of them were freed.
  SiteTotals early = f.AllocatedIn("early_alloc");
  EXPECT_EQ(early.live_count, 0u) << f.DescribeSites();
  EXPECT_EQ(early.live_bytes, 0u);
  EXPECT_EQ(Totals(f.AllocatedIn("early_grow")), "alloc 9/27000, free 9/27000, live 0/0");
  // __libc_malloc bypasses the hooks; freeing its blocks must record nothing.
  EXPECT_EQ(Totals(f.AllocatedIn("foreign_frees")), "alloc 0/0, free 0/0, live 0/0");
  // realloc of an unknown block: an allocation at the realloc, and no free anywhere.
  EXPECT_EQ(Totals(f.AllocatedIn("foreign_realloc")), "alloc 1/5000, free 0/0, live 1/5000");
}

// Two sites of the same size in one exit dump: the early leak's memory is as old as the run, the
// working set's was born in its last turn. Seconds are whole and births read a clock the dumper
// ticks, so a birth can only look earlier than it was (never later), and an age is at least the
// true one rounded down: the leak is at least kSeconds old; the working set's age is its
// staleness, a second or two at most even on a loaded machine.
TEST(OldAndChurn, OneDumpTellsAnEarlyLeakFromAWorkingSetOfTheSameSize) {
  constexpr uint32_t kSeconds = 4;
  TempDir dir;
  Dump dump;
  ASSERT_TRUE(RunExact(dir, Program("old_and_churn"), {std::to_string(kSeconds)}, &dump));
  EXPECT_EQ(dump.version, format::kVersion);
  SiteFinder f(dump);
  std::vector<const SiteInfo*> leak = f.SitesAllocatedIn("leak_early");
  std::vector<const SiteInfo*> churn = f.SitesAllocatedIn("churn_working");
  ASSERT_EQ(leak.size(), 1u) << f.DescribeSites();
  ASSERT_EQ(churn.size(), 1u) << f.DescribeSites();
  // The same memory at both sites: bytes alone cannot tell them apart.
  EXPECT_EQ(leak[0]->live_bytes(), 64u * 4096);
  EXPECT_EQ(churn[0]->live_bytes(), 64u * 4096);
  EXPECT_GT(churn[0]->fixed.free_count, 64u);
  ASSERT_TRUE(leak[0]->ages_known);
  ASSERT_TRUE(churn[0]->ages_known);
  const format::SiteAgesFixed& old = leak[0]->ages;
  const format::SiteAgesFixed& young = churn[0]->ages;
  EXPECT_GE(old.median_age_s, kSeconds);
  EXPECT_GE(old.oldest_age_s, old.median_age_s);
  EXPECT_LT(old.oldest_age_s, kSeconds + 60);  // ... and not a stray clock
  EXPECT_LE(young.median_age_s, 2u);
  EXPECT_LE(young.oldest_age_s, 2u);
  for (uint32_t t = 0; t < format::kAgeThresholdCount; ++t) {
    EXPECT_EQ(old.older_than_est_bytes[t], 0u) << "none is a minute old";
    EXPECT_EQ(young.older_than_est_bytes[t], 0u);
  }
}

// A position-dependent program that takes malloc's address (as Debian's python3 does) exports its
// PLT stub as malloc; the recorder forwarding to that stub recursed until the stack overflowed.
TEST(NoPieMallocAddress, RunsAndRecordsWhatItAllocatesThroughThePointer) {
  TempDir dir;
  Dump dump;
  ASSERT_TRUE(RunExact(dir, Program("nopie_malloc_address"), {}, &dump));
  SiteTotals kept = SiteFinder(dump).AllocatedIn("keep_through_pointer");
  EXPECT_EQ(kept.live_count, 3u);
  EXPECT_EQ(kept.live_bytes, 3000u);
  // The stub leads to our hooks: nothing is in front of the recorder.
  EXPECT_EQ(dump.allocator.fixed.flags & format::kAllocatorInFront, 0u) << dump.allocator.path;
}

}  // namespace
}  // namespace leakscope::testing
// SPDX-License-Identifier: Apache-2.0
