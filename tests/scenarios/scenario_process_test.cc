// Scenarios about the process around the allocations: threads, fork, exec, dlopen/dlclose.
#include <unistd.h>

#include <filesystem>
#include <map>
#include <regex>

#include "json_value.h"
#include "scenario_fixture.h"

namespace leakscope::testing {
namespace {

// The pid fork_exec printed as "child <pid>".
pid_t ChildPid(const std::string& out) {
  std::smatch m;
  static const std::regex kChild(R"(child ([0-9]+)\n)");
  return std::regex_search(out, m, kChild) ? static_cast<pid_t>(std::stol(m[1])) : -1;
}

TEST(ThreadsCrossFree, LiveBytesAreWhatTheProgramLeftUnfreed) {
  TempDir dir;
  Dump dump;
  ASSERT_TRUE(RunExact(dir, Program("threads_cross_free"), {}, &dump));
  SiteFinder f(dump);
  // 8 threads x 500 blocks of 16 + 8t bytes; every fifth block of each thread is left.
  EXPECT_EQ(Totals(f.AllocatedIn("thread_alloc")),
            "alloc 4000/176000, free 3200/140800, live 800/35200")
      << f.DescribeSites();
  EXPECT_EQ(Totals(f.AllocatedIn("thread_churn")),
            "alloc 16000/512000, free 16000/512000, live 0/0");
  EXPECT_EQ(dump.counters.dropped_live_full, 0u);
  EXPECT_EQ(dump.counters.unwind_failures, 0u);
}

TEST(Fork, ParentAndChildEachWriteTheirOwnDumpsAndTheChildStartsEmpty) {
  TempDir dir;
  RunResult run = RunIn(dir, Program("fork_exec"), Exact({"fork"}));
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(run.err, "");
  pid_t child = ChildPid(run.out);
  ASSERT_GT(child, 0) << run.out;
  EXPECT_EQ(run.out, "child " + std::to_string(child) + "\n");
  std::vector<DumpFile> all = ListDumps(dir.path());
  for (const DumpFile& d : all) {
    EXPECT_TRUE(d.pid == run.pid || d.pid == child) << d.path;
  }

  Dump parent, kid;
  ASSERT_TRUE(LoadLastDump(dir.path(), run.pid, &parent));
  ASSERT_TRUE(LoadLastDump(dir.path(), child, &kid));
  ASSERT_TRUE(DumpIsConsistent(parent));
  ASSERT_TRUE(DumpIsConsistent(kid));
  EXPECT_EQ(DumpsOf(dir.path(), child).front().seq, 0u);
  EXPECT_EQ(kid.process.fixed.pid, child);
  EXPECT_EQ(kid.process.fixed.ppid, run.pid);

  SiteFinder pf(parent), cf(kid);
  EXPECT_EQ(Totals(pf.AllocatedIn("parent_leak")), "alloc 3/3000, free 0/0, live 3/3000")
      << pf.DescribeSites();
  EXPECT_EQ(Totals(pf.AllocatedIn("child_leak")), "alloc 0/0, free 0/0, live 0/0");
  // Fresh tables in the child: what the parent recorded before fork is not the child's.
  EXPECT_EQ(Totals(cf.AllocatedIn("parent_leak")), "alloc 0/0, free 0/0, live 0/0")
      << cf.DescribeSites();
  EXPECT_EQ(Totals(cf.AllocatedIn("child_leak")), "alloc 2/1000, free 0/0, live 2/1000");
}

TEST(Fork, TheChildHasItsOwnDumperThread) {
  TempDir dir;
  RunResult run =
      RunIn(dir, Program("fork_exec"), Exact({"fork-sleep"}, {{"LEAKSCOPE_INTERVAL", "100ms"}}));
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  pid_t child = ChildPid(run.out);
  ASSERT_GT(child, 0) << run.out;
  // The child lives 600 ms: about six periodic dumps and one at exit.
  std::vector<DumpFile> dumps = DumpsOf(dir.path(), child);
  ASSERT_GE(dumps.size(), 3u);
  for (size_t i = 0; i < dumps.size(); ++i) {
    EXPECT_EQ(dumps[i].seq, i);
    Dump d;
    ASSERT_TRUE(LoadDump(dumps[i].path, &d));
    EXPECT_EQ(d.process.fixed.pid, child);
    EXPECT_EQ(d.process.fixed.seq, i);
  }
}

TEST(Exec, TheExecdImageRecordsItselfUnderTheSamePid) {
  TempDir dir;
  RunResult run = RunIn(dir, Program("fork_exec"), Exact({"exec"}));
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(run.err, "");
  pid_t child = ChildPid(run.out);
  ASSERT_GT(child, 0) << run.out;
  EXPECT_EQ(run.out, "child-hooked=1\nchild " + std::to_string(child) + "\nparent-hooked=1\n");

  Dump parent, kid;
  ASSERT_TRUE(LoadLastDump(dir.path(), run.pid, &parent));
  ASSERT_TRUE(LoadLastDump(dir.path(), child, &kid));
  ASSERT_TRUE(DumpIsConsistent(kid));
  EXPECT_EQ(DumpsOf(dir.path(), child).front().seq, 0u);
  EXPECT_EQ(kid.process.fixed.ppid, run.pid);
  EXPECT_NE(kid.process.fixed.instance_id, parent.process.fixed.instance_id);
  EXPECT_EQ(kid.process.args, (std::vector<std::string>{Program("fork_exec"), "exec-child"}));
  EXPECT_EQ(std::filesystem::canonical(kid.process.executable),
            std::filesystem::canonical(Program("fork_exec")));

  SiteFinder cf(kid), pf(parent);
  EXPECT_EQ(Totals(cf.AllocatedIn("exec_child_leak")), "alloc 4/1000, free 0/0, live 4/1000")
      << cf.DescribeSites();
  EXPECT_EQ(Totals(cf.AllocatedIn("parent_leak")), "alloc 0/0, free 0/0, live 0/0");
  EXPECT_EQ(Totals(pf.AllocatedIn("parent_leak")), "alloc 3/3000, free 0/0, live 3/3000");
  EXPECT_EQ(Totals(pf.AllocatedIn("exec_child_leak")), "alloc 0/0, free 0/0, live 0/0");
}

TEST(Exec, FollowChildrenOffKeepsThePreloadOutOfExecdChildren) {
  TempDir dir;
  RunResult run =
      RunIn(dir, Program("fork_exec"), Exact({"exec"}, {{"LEAKSCOPE_FOLLOW_CHILDREN", "0"}}));
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(run.err, "");
  pid_t child = ChildPid(run.out);
  ASSERT_GT(child, 0) << run.out;
  EXPECT_EQ(run.out, "child-hooked=0\nchild " + std::to_string(child) + "\nparent-hooked=1\n");
  EXPECT_TRUE(DumpsOf(dir.path(), child).empty());
  Dump parent;
  ASSERT_TRUE(LoadLastDump(dir.path(), run.pid, &parent));
  EXPECT_FALSE(parent.settings.flags & format::kSettingFollowChildren);
  EXPECT_EQ(Totals(SiteFinder(parent).AllocatedIn("parent_leak")),
            "alloc 3/3000, free 0/0, live 3/3000");
}

TEST(Dlopen, LeakInAnUnloadedLibraryIsAttributedToItsFunction) {
  TempDir dir;
  Dump dump;
  // The program checks that dlclose really unmapped the library.
  ASSERT_TRUE(RunExact(dir, Program("dlopen_leak"), {Library("leaky")}, &dump));
  SiteFinder f(dump);
  const ModuleInfo* leaky = nullptr;
  for (const ModuleInfo& m : dump.modules) {
    if (Basename(m.path) == "libleaky.so") leaky = &m;
  }
  ASSERT_NE(leaky, nullptr) << "libleaky.so is not in the module map";
  EXPECT_TRUE(leaky->fixed.flags & format::kModuleUnloaded);
  EXPECT_EQ(leaky->build_id, ElfSymbols(Library("leaky")).build_id());

  EXPECT_EQ(Totals(f.AllocatedIn("leaky_alloc")), "alloc 5/1665, free 0/0, live 5/1665")
      << f.DescribeSites();
  EXPECT_EQ(Totals(f.AllocatedIn("leaky_temp")), "alloc 3/12000, free 3/12000, live 0/0");
  std::vector<const SiteInfo*> sites = f.SitesAllocatedIn("leaky_alloc");
  ASSERT_EQ(sites.size(), 1u);
  EXPECT_EQ(f.ModuleAt(sites[0]->pcs[0]), leaky);
  std::vector<std::string> frames = f.Frames(*sites[0]);
  ASSERT_GE(frames.size(), 3u);
  EXPECT_EQ(frames[1], "leaky_run");
  EXPECT_EQ(frames[2], "main");
}

// Each leak by its allocating caller, as `leakscope report --format json` names it:
// "function file:line [module file name]" -> "<live bytes> B in <live blocks>".
std::map<std::string, std::string> LiveByCaller(const std::string& dump_path) {
  RunOptions report;
  report.args = {"report", "--format", "json", dump_path};
  RunResult run = RunProgram(LEAKSCOPE_BIN, report);
  EXPECT_EQ(run.exit_code, 0) << run.Describe();
  JsonValue json;
  EXPECT_TRUE(ParseJson(run.out, &json)) << run.out;
  std::map<std::string, std::pair<uint64_t, uint64_t>> sums;
  for (const JsonValue& site : json["sites"].items()) {
    int64_t caller = site["caller_index"].Int();
    if (caller < 0) continue;
    const JsonValue& frame = site["frames"][static_cast<size_t>(caller)];
    std::string file(frame["file"].IsNull() ? "?" : Basename(frame["file"].String()));
    std::string line = frame["line"].IsNull() ? "?" : std::to_string(frame["line"].UInt());
    std::string key = frame["function"].String() + " " + file + ":" + line + " [" +
                      std::string(Basename(frame["module"].String())) + "]";
    sums[key].first += site["live_bytes"].UInt();
    sums[key].second += site["live_count"].UInt();
  }
  std::map<std::string, std::string> live;
  for (const auto& [key, sum] : sums) {
    live[key] = std::to_string(sum.first) + " B in " + std::to_string(sum.second);
  }
  return live;
}

// Issue 16: libepoch_b.so is mapped where libepoch_a.so was. Each leak must be named after the
// library that was mapped when it was recorded, not after whatever holds the address at the dump.
TEST(Dlopen, FramesOfAnUnloadedLibraryKeepTheirNamesWhenAnotherReusesItsAddresses) {
  TempDir dir;
  RunResult run =
      RunIn(dir, Program("epoch_reuse"), Exact({Library("epoch_a"), Library("epoch_b")}));
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(run.err, "");
  if (run.out.find(" moved\n") != std::string::npos) {
    GTEST_SKIP() << "the loader did not map libepoch_b.so where libepoch_a.so was: " << run.out;
  }
  ASSERT_NE(run.out.find(" same\n"), std::string::npos) << run.out;
  std::vector<DumpFile> dumps = DumpsOf(dir.path(), run.pid);
  ASSERT_FALSE(dumps.empty());

  std::map<std::string, std::string> live = LiveByCaller(dumps.back().path);
  std::string all;
  for (const auto& [caller, what] : live) all += caller + ": " + what + "\n";
  EXPECT_EQ(live["alpha_leak libepoch_a.c:9 [libepoch_a.so]"], "100000 B in 100") << all;
  EXPECT_EQ(live["beta_big libepoch_b.c:9 [libepoch_b.so]"], "30000 B in 10") << all;
  // Nothing of libepoch_a's leak is charged to libepoch_b.so.
  uint64_t in_b = 0;
  for (const auto& [caller, what] : live) {
    if (caller.ends_with("[libepoch_b.so]")) in_b += std::stoull(what);
  }
  EXPECT_EQ(in_b, 30000u) << all;
}

}  // namespace
}  // namespace leakscope::testing
// SPDX-License-Identifier: Apache-2.0
