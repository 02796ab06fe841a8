// Scenarios about the process around the allocations: threads, fork, exec, dlopen/dlclose.
#include <unistd.h>

#include <filesystem>
#include <regex>

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

}  // namespace
}  // namespace leakscope::testing
// SPDX-License-Identifier: Apache-2.0
