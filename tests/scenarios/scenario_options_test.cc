// Scenarios about the recorder's options and where and when it writes: LEAKSCOPE_* variables,
// the dump directory choice, on-demand and periodic dumps, stack depth and table capacities.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>

#include "scenario_fixture.h"

namespace leakscope::testing {
namespace {

// Lines of a text; the last one need not end in '\n'.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

TEST(Options, DisableWritesNoDumpAndPassesThrough) {
  for (const char* program : {"leak_known_sizes", "alloc_family"}) {
    SCOPED_TRACE(program);
    TempDir dir;
    RunResult run = RunIn(dir, Program(program), Exact({}, {{"LEAKSCOPE_DISABLE", "1"}}));
    EXPECT_TRUE(CleanExit(run));
    EXPECT_EQ(ListDir(dir.path()), std::vector<std::string>{});
  }
}

// LEAKSCOPE_PROCESS: a process whose executable is not named passes straight through, silently
// (no dump, not even LEAKSCOPE_LOG=info's lines); a named one records as usual.
TEST(Options, ProcessFilterRecordsOnlyTheNamedExecutables) {
  TempDir skipped_dir;
  RunResult skipped = RunIn(skipped_dir, Program("leak_known_sizes"),
                            Exact({}, {{"LEAKSCOPE_PROCESS", "java"}, {"LEAKSCOPE_LOG", "info"}}));
  EXPECT_TRUE(CleanExit(skipped));
  EXPECT_EQ(skipped.err, "");
  EXPECT_EQ(ListDir(skipped_dir.path()), std::vector<std::string>{});

  TempDir named_dir;
  RunResult named = RunIn(named_dir, Program("leak_known_sizes"),
                          Exact({}, {{"LEAKSCOPE_PROCESS", "java, leak_known_sizes"}}));
  EXPECT_TRUE(CleanExit(named));
  Dump dump;
  ASSERT_TRUE(LoadLastDump(named_dir.path(), named.pid, &dump));
  EXPECT_EQ(dump.process.fixed.pid, named.pid);
}

class BadValue : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(BadValue, WarnsOnceAndKeepsTheDefault) {
  auto [name, value] = GetParam();
  RunOptions baseline_options = Exact();
  baseline_options.env.erase(name);
  TempDir baseline_dir;
  Dump baseline;
  RunResult baseline_run = RunIn(baseline_dir, Program("leak_known_sizes"), baseline_options);
  ASSERT_TRUE(CleanExit(baseline_run));
  ASSERT_TRUE(LoadLastDump(baseline_dir.path(), baseline_run.pid, &baseline));

  RunOptions options = baseline_options;
  options.env[name] = value;
  TempDir dir;
  RunResult run = RunIn(dir, Program("leak_known_sizes"), options);
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(run.out, "");
  std::vector<std::string> lines = Lines(run.err);
  ASSERT_EQ(lines.size(), 1u) << run.err;
  EXPECT_EQ(lines[0].rfind("leakscope:", 0), 0u) << run.err;
  EXPECT_NE(lines[0].find(name), std::string::npos) << "the warning should name " << name;
  EXPECT_EQ(run.err.back(), '\n');

  Dump dump;
  ASSERT_TRUE(LoadLastDump(dir.path(), run.pid, &dump));  // still works
  EXPECT_EQ(memcmp(&dump.settings, &baseline.settings, sizeof(dump.settings)), 0)
      << "settings differ from a run without " << name;
}

INSTANTIATE_TEST_SUITE_P(Options, BadValue,
                         ::testing::Values(std::pair{"LEAKSCOPE_SAMPLE_BYTES", "abc"},
                                           std::pair{"LEAKSCOPE_INTERVAL", "soon"},
                                           std::pair{"LEAKSCOPE_DEPTH", "deep"},
                                           std::pair{"LEAKSCOPE_MAX_STACKS", "-5"},
                                           std::pair{"LEAKSCOPE_MAX_LIVE", "12x"},
                                           std::pair{"LEAKSCOPE_MAX_STREAMS", "lots"},
                                           std::pair{"LEAKSCOPE_MAX_DUMPS", "1"},
                                           std::pair{"LEAKSCOPE_FOLLOW_CHILDREN", "perhaps"},
                                           std::pair{"LEAKSCOPE_DISABLE", "maybe"},
                                           std::pair{"LEAKSCOPE_LOG", "loud"}),
                         [](const auto& info) { return std::string(info.param.first).substr(10); });

struct GoodValueCase {
  const char* name;
  const char* value;
  std::function<uint64_t(const format::SettingsFixed&)> field;
  uint64_t expected;
};

class GoodValue : public ::testing::TestWithParam<GoodValueCase> {};

TEST_P(GoodValue, IsParsedSilentlyIntoTheSettings) {
  const GoodValueCase& c = GetParam();
  TempDir dir;
  RunResult run = RunIn(dir, Program("leak_known_sizes"), Exact({}, {{c.name, c.value}}));
  ASSERT_TRUE(CleanExit(run));
  Dump dump;
  ASSERT_TRUE(LoadLastDump(dir.path(), run.pid, &dump));
  EXPECT_EQ(c.field(dump.settings), c.expected);
}

uint64_t SampleBytes(const format::SettingsFixed& s) { return s.sample_bytes; }
uint64_t IntervalNs(const format::SettingsFixed& s) { return s.interval_ns; }
uint64_t Depth(const format::SettingsFixed& s) { return s.depth; }
uint64_t MaxStacks(const format::SettingsFixed& s) { return s.max_stacks; }
uint64_t MaxLive(const format::SettingsFixed& s) { return s.max_live; }
uint64_t MaxStreams(const format::SettingsFixed& s) { return s.max_streams; }
uint64_t Follow(const format::SettingsFixed& s) {
  return (s.flags & format::kSettingFollowChildren) != 0;
}

INSTANTIATE_TEST_SUITE_P(
    Options, GoodValue,
    ::testing::Values(GoodValueCase{"LEAKSCOPE_SAMPLE_BYTES", "4096", SampleBytes, 4096},
                      GoodValueCase{"LEAKSCOPE_INTERVAL", "500ms", IntervalNs, 500000000},
                      GoodValueCase{"LEAKSCOPE_INTERVAL", "30s", IntervalNs, 30000000000},
                      GoodValueCase{"LEAKSCOPE_INTERVAL", "5m", IntervalNs, 300000000000},
                      GoodValueCase{"LEAKSCOPE_DEPTH", "8", Depth, 8},
                      GoodValueCase{"LEAKSCOPE_MAX_STACKS", "4096", MaxStacks, 4096},
                      GoodValueCase{"LEAKSCOPE_MAX_LIVE", "8192", MaxLive, 8192},
                      GoodValueCase{"LEAKSCOPE_MAX_STREAMS", "1024", MaxStreams, 1024},
                      GoodValueCase{"LEAKSCOPE_FOLLOW_CHILDREN", "0", Follow, 0},
                      GoodValueCase{"LEAKSCOPE_FOLLOW_CHILDREN", "1", Follow, 1}),
    [](const auto& info) {
      std::string name = std::string(info.param.name).substr(10) + "_" + info.param.value;
      std::replace_if(
          name.begin(), name.end(), [](char ch) { return !isalnum(ch); }, '_');
      return name;
    });

TEST(Options, LogInfoSaysWhereDumpsGo) {
  TempDir dir;
  RunResult run = RunIn(dir, Program("leak_known_sizes"), Exact({}, {{"LEAKSCOPE_LOG", "info"}}));
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(run.out, "");
  ASSERT_FALSE(run.err.empty());
  for (const std::string& line : Lines(run.err)) EXPECT_EQ(line.rfind("leakscope:", 0), 0u) << line;
  EXPECT_NE(run.err.find(dir.path()), std::string::npos) << run.err;
  EXPECT_EQ(DumpsOf(dir.path(), run.pid).size(), 1u);
}

TEST(DumpDir, FirstLogDirsEntryIsUsedWithoutLeakscopeDir) {
  TempDir root;
  ASSERT_EQ(mkdir(root.Sub("a").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(root.Sub("b").c_str(), 0755), 0);
  RunOptions options = Exact();
  options.env["LOG_DIRS"] = root.Sub("a") + "," + root.Sub("b");
  RunResult run = RunProgram(Program("leak_known_sizes"), options);  // no LEAKSCOPE_DIR
  ASSERT_TRUE(CleanExit(run));
  EXPECT_EQ(DumpsOf(root.Sub("a"), run.pid).size(), 1u);
  EXPECT_EQ(ListDir(root.Sub("b")), std::vector<std::string>{});
}

TEST(DumpDir, LeakscopeDirWinsOverLogDirs) {
  TempDir root;
  ASSERT_EQ(mkdir(root.Sub("log").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(root.Sub("mine").c_str(), 0755), 0);
  RunOptions options = Exact();
  options.env["LOG_DIRS"] = root.Sub("log");
  options.env["LEAKSCOPE_DIR"] = root.Sub("mine");
  RunResult run = RunProgram(Program("leak_known_sizes"), options);
  ASSERT_TRUE(CleanExit(run));
  EXPECT_EQ(DumpsOf(root.Sub("mine"), run.pid).size(), 1u);
  EXPECT_EQ(ListDir(root.Sub("log")), std::vector<std::string>{});
}

// Runs leak_known_sizes with neither LEAKSCOPE_DIR nor LOG_DIRS, in a private mount namespace
// whose /tmp is `fake_tmp`, so the default /tmp/leakscope-<uid> starts in a known state.
// Returns false (and skips) where mount namespaces are not allowed, and where the build itself
// lies under /tmp (the program and the library would be hidden by the fake one).
bool RunWithFakeTmp(const std::string& fake_tmp, RunResult* run) {
  RunOptions probe;
  probe.prefix = {"/usr/bin/unshare", "--mount"};
  if (access("/usr/bin/unshare", X_OK) != 0 || RunProgram("/bin/true", probe).exit_code != 0) {
    return false;
  }
  if (Program("leak_known_sizes").starts_with("/tmp/") || kPreload.starts_with("/tmp/")) {
    return false;
  }
  RunOptions options = Exact();
  options.preload.clear();  // only the final program, not unshare and sh
  options.unset = {"TMPDIR"};
  options.env["LEAKSCOPE_TEST_TMP"] = fake_tmp;
  options.env["LEAKSCOPE_TEST_PRELOAD"] = kPreload;
  options.prefix = {"/usr/bin/unshare",
                    "--mount",
                    "--propagation",
                    "private",
                    "/bin/sh",
                    "-c",
                    "mount --bind \"$LEAKSCOPE_TEST_TMP\" /tmp && "
                    "LD_PRELOAD=\"$LEAKSCOPE_TEST_PRELOAD\" exec \"$0\" \"$@\""};
  *run = RunProgram(Program("leak_known_sizes"), options);
  return true;
}

TEST(DumpDir, DefaultTmpDirectoryIsCreatedPrivate) {
  TempDir fake_tmp;
  RunResult run;
  if (!RunWithFakeTmp(fake_tmp.path(), &run)) {
    GTEST_SKIP() << "no mount namespaces here, or the build is under /tmp";
  }
  ASSERT_TRUE(CleanExit(run));
  std::string dir = fake_tmp.Sub("leakscope-" + std::to_string(getuid()));
  struct stat st;
  ASSERT_EQ(lstat(dir.c_str(), &st), 0) << dir << " was not created";
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_uid, getuid());
  std::vector<DumpFile> dumps = DumpsOf(dir, run.pid);
  ASSERT_EQ(dumps.size(), 1u);
  ASSERT_EQ(stat(dumps[0].path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  Dump dump;
  EXPECT_TRUE(LoadDump(dumps[0].path, &dump));
}

// The fresh private directory a refused default falls back to (dump_dir.h): exactly one
// <fake_tmp>/leakscope-<uid>-XXXXXX, holding the run's one dump; the one warning names it.
void ExpectFallbackDirectory(const TempDir& fake_tmp, const RunResult& run) {
  std::string prefix = "leakscope-" + std::to_string(getuid()) + "-";
  std::vector<std::string> fresh;
  for (const std::string& name : ListDir(fake_tmp.path())) {
    if (name.rfind(prefix, 0) == 0) fresh.push_back(name);
  }
  ASSERT_EQ(fresh.size(), 1u) << ::testing::PrintToString(ListDir(fake_tmp.path()));
  EXPECT_EQ(DumpsOf(fake_tmp.Sub(fresh[0]), run.pid).size(), 1u);
  struct stat st;
  ASSERT_EQ(lstat(fake_tmp.Sub(fresh[0]).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  std::vector<std::string> lines = Lines(run.err);
  ASSERT_EQ(lines.size(), 1u) << run.err;
  EXPECT_NE(lines[0].find("writing dumps to /tmp/" + fresh[0]), std::string::npos) << run.err;
}

TEST(DumpDir, DefaultTmpDirectoryThatIsASymlinkIsRefused) {
  TempDir fake_tmp;
  ASSERT_EQ(mkdir(fake_tmp.Sub("elsewhere").c_str(), 0700), 0);
  // As seen inside the namespace, where fake_tmp is /tmp.
  std::string link = fake_tmp.Sub("leakscope-" + std::to_string(getuid()));
  ASSERT_EQ(symlink("/tmp/elsewhere", link.c_str()), 0);
  RunResult run;
  if (!RunWithFakeTmp(fake_tmp.path(), &run)) {
    GTEST_SKIP() << "no mount namespaces here, or the build is under /tmp";
  }
  EXPECT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(ListDir(fake_tmp.Sub("elsewhere")), std::vector<std::string>{});
  EXPECT_EQ(run.err.rfind("leakscope:", 0), 0u) << "expected a warning, got: " << run.err;
  ExpectFallbackDirectory(fake_tmp, run);
}

TEST(DumpDir, DefaultTmpDirectoryOwnedBySomeoneElseIsRefused) {
  TempDir fake_tmp;
  std::string dir = fake_tmp.Sub("leakscope-" + std::to_string(getuid()));
  ASSERT_EQ(mkdir(dir.c_str(), 0777), 0);
  ASSERT_EQ(chmod(dir.c_str(), 0777), 0);
  if (chown(dir.c_str(), getuid() + 1, getgid()) != 0) GTEST_SKIP() << "cannot chown";
  RunResult run;
  if (!RunWithFakeTmp(fake_tmp.path(), &run)) {
    GTEST_SKIP() << "no mount namespaces here, or the build is under /tmp";
  }
  EXPECT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{});
  EXPECT_EQ(run.err.rfind("leakscope:", 0), 0u) << "expected a warning, got: " << run.err;
  ExpectFallbackDirectory(fake_tmp, run);
}

TEST(Trigger, TriggerFileRequestsADumpAndIsRemoved) {
  TempDir dir;
  RunResult run = RunIn(dir, Program("trigger"), Exact());
  // Exit 2: no dump within 5 s of the trigger; 3: the trigger file was not removed.
  ASSERT_TRUE(CleanExit(run));
  std::vector<DumpFile> dumps = DumpsOf(dir.path(), run.pid);
  ASSERT_EQ(dumps.size(), 2u);  // on demand, then at exit
  EXPECT_EQ(ListDir(dir.path()).size(), 2u);
  Dump on_demand, at_exit;
  ASSERT_TRUE(LoadDump(dumps[0].path, &on_demand));
  ASSERT_TRUE(LoadDump(dumps[1].path, &at_exit));
  EXPECT_EQ(on_demand.process.fixed.seq, 0u);
  EXPECT_EQ(at_exit.process.fixed.seq, 1u);
  SiteFinder first(on_demand), last(at_exit);
  EXPECT_EQ(Totals(first.AllocatedIn("before_trigger")), "alloc 2/1400, free 0/0, live 2/1400");
  EXPECT_EQ(Totals(first.AllocatedIn("after_trigger")), "alloc 0/0, free 0/0, live 0/0");
  EXPECT_EQ(Totals(last.AllocatedIn("before_trigger")), "alloc 2/1400, free 0/0, live 2/1400");
  EXPECT_EQ(Totals(last.AllocatedIn("after_trigger")), "alloc 3/2700, free 0/0, live 3/2700");
}

TEST(Interval, PeriodicDumpsFollowTheGrowth) {
  TempDir dir;
  RunResult run = RunIn(dir, Program("periodic"), Exact({}, {{"LEAKSCOPE_INTERVAL", "200ms"}}));
  ASSERT_TRUE(CleanExit(run));
  std::vector<DumpFile> files = DumpsOf(dir.path(), run.pid);
  ASSERT_GE(files.size(), 3u);  // about four periodic dumps in 800 ms, and one at exit
  uint64_t last_live = 0;
  Dump first;
  for (size_t i = 0; i < files.size(); ++i) {
    SCOPED_TRACE("dump " + std::to_string(i));
    EXPECT_EQ(files[i].seq, i);
    Dump dump;
    ASSERT_TRUE(LoadDump(files[i].path, &dump));
    ASSERT_TRUE(DumpIsConsistent(dump));
    EXPECT_EQ(dump.process.fixed.seq, i);
    EXPECT_EQ(dump.settings.interval_ns, 200000000u);
    uint64_t live = SiteFinder(dump).AllocatedIn("grow").live_bytes;
    EXPECT_GE(live, last_live);
    last_live = live;
    if (i == 0) {
      first = dump;
    } else {
      EXPECT_EQ(dump.process.fixed.instance_id, first.process.fixed.instance_id);
      EXPECT_EQ(dump.process.fixed.start_unix_ns, first.process.fixed.start_unix_ns);
      EXPECT_GT(dump.process.fixed.time_monotonic_ns, first.process.fixed.time_monotonic_ns);
    }
  }
  EXPECT_EQ(last_live, 8000u);
}

TEST(Depth, DefaultDepthKeepsTheWholeDeepStack) {
  TempDir dir;
  Dump dump;
  ASSERT_TRUE(RunExact(dir, Program("stacks"), {"deep"}, &dump));
  SiteFinder f(dump);
  std::vector<const SiteInfo*> sites = f.SitesAllocatedIn("descend");
  ASSERT_EQ(sites.size(), 1u) << f.DescribeSites();
  std::vector<std::string> frames = f.Frames(*sites[0]);
  ASSERT_GE(frames.size(), 31u);
  EXPECT_EQ(std::count(frames.begin(), frames.end(), "descend"), 30);
  EXPECT_EQ(frames[30], "main");
  EXPECT_EQ(Totals(f.AllocatedIn("descend")), "alloc 1/4242, free 0/0, live 1/4242");
}

TEST(Depth, LeakscopeDepthCutsStacksToThatManyFrames) {
  TempDir dir;
  Dump dump;
  // The consistency check includes depth <= settings.depth for every site.
  ASSERT_TRUE(
      RunAndLoad(dir, Program("stacks"), Exact({"deep"}, {{"LEAKSCOPE_DEPTH", "8"}}), &dump));
  EXPECT_EQ(dump.settings.depth, 8u);
  SiteFinder f(dump);
  std::vector<const SiteInfo*> sites = f.SitesAllocatedIn("descend");
  ASSERT_EQ(sites.size(), 1u) << f.DescribeSites();
  EXPECT_EQ(f.Frames(*sites[0]), std::vector<std::string>(8, "descend"));
}

TEST(Capacity, FullStackTableChargesTheOverflowSite) {
  TempDir dir;
  Dump dump;
  ASSERT_TRUE(RunAndLoad(dir, Program("stacks"),
                         Exact({"many-stacks"}, {{"LEAKSCOPE_MAX_STACKS", "16"}}), &dump));
  SiteFinder f(dump);
  EXPECT_GT(dump.counters.dropped_stack_full, 0u);
  size_t real_sites = 0;
  for (const SiteInfo& s : dump.sites) real_sites += s.fixed.site_id != format::kOverflowSiteId;
  EXPECT_LE(real_sites, dump.settings.max_stacks);
  const SiteInfo* overflow = f.SiteById(format::kOverflowSiteId);
  ASSERT_NE(overflow, nullptr) << "no overflow site in the dump";
  EXPECT_EQ(overflow->fixed.alloc_count, dump.counters.dropped_stack_full);
  // 50 distinct stacks leaked 100 B each: those that did not get a site are in the overflow.
  SiteTotals named = f.Through("descend");
  EXPECT_LT(named.live_count, 50u);
  EXPECT_GE(named.live_count + overflow->live_count(), 50u);
}

TEST(Capacity, FullLiveTableCountsWhatIsDropped) {
  TempDir dir;
  Dump dump;
  ASSERT_TRUE(RunAndLoad(dir, Program("stacks"),
                         Exact({"many-blocks"}, {{"LEAKSCOPE_MAX_LIVE", "256"}}), &dump));
  EXPECT_EQ(dump.settings.max_live, 256u);
  // 2000 blocks stay live and do not all fit: each is either tracked at its site or counted as
  // dropped, never both, never neither. (The table bounds memory, not the count: it may hold
  // somewhat more than max_live entries.)
  SiteTotals blocks = SiteFinder(dump).AllocatedIn("many_blocks");
  EXPECT_GT(dump.counters.dropped_live_full, 0u);
  EXPECT_EQ(blocks.live_count + dump.counters.dropped_live_full, 2000u)
      << blocks.live_count << " tracked, " << dump.counters.dropped_live_full << " dropped";
  EXPECT_EQ(blocks.live_bytes, 48 * blocks.live_count);
  EXPECT_LE(blocks.live_count, 2 * dump.settings.max_live);
}

}  // namespace
}  // namespace leakscope::testing
// SPDX-License-Identifier: Apache-2.0
