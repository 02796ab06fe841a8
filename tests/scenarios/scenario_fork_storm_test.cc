// Issue 12: a forked child must never hang at exit on a lock that another thread of its parent
// held at fork() (the loader's, inside dl_iterate_phdr, or one of the recorder's own).
// fork_storm (see its header) forks children one after another while such locks are busy; it
// reports every child still there seconds after its fork as hung.
//
// The whole storm of the issue, 10,000 forks, is scripts/fork-storm.
#include <filesystem>
#include <regex>
#include <set>

#include "scenario_fixture.h"

namespace leakscope::testing {
namespace {

constexpr int kCopies = 100;  // copies of libforkling.so the parent loads
constexpr int kForks = 200;

// A run of fork_storm in dir: its copies of libforkling.so go to dir/libs.
RunResult Storm(const TempDir& dir, std::vector<std::string> flags, int forks,
                const std::string& timeout_ms, const std::string& interval) {
  std::string libs = dir.path() + "/libs";
  std::filesystem::create_directory(libs);
  std::vector<std::string> args = std::move(flags);
  for (std::string arg :
       {Library("forkling"), std::to_string(kCopies), libs, std::to_string(forks), timeout_ms}) {
    args.push_back(arg);
  }
  // Every allocation recorded, so each child's dump says exactly what it allocated.
  return RunIn(dir, Program("fork_storm"), Exact(args, {{"LEAKSCOPE_INTERVAL", interval}}));
}

// The modules named dir/libs/forkling<i>.so in a dump, still loaded.
int ForklingCopies(const Dump& dump, const TempDir& dir) {
  int copies = 0;
  for (const ModuleInfo& module : dump.modules) {
    bool loaded = !(module.fixed.flags & format::kModuleUnloaded);
    copies += loaded && module.path.rfind(dir.path() + "/libs/forkling", 0) == 0;
  }
  return copies;
}

// Each child of run (a pid with dumps other than run's): its exit dump is whole, its own, and
// names exactly what it allocated and every library it inherited.
void ExpectChildDumpsComplete(const TempDir& dir, const RunResult& run, size_t children) {
  std::set<pid_t> pids;
  for (const DumpFile& d : ListDumps(dir.path())) {
    if (d.pid != run.pid) pids.insert(d.pid);
  }
  EXPECT_EQ(pids.size(), children);
  for (pid_t child : pids) {
    SCOPED_TRACE("child " + std::to_string(child));
    Dump dump;
    ASSERT_TRUE(LoadLastDump(dir.path(), child, &dump));
    ASSERT_TRUE(DumpIsConsistent(dump));
    EXPECT_EQ(dump.process.fixed.pid, child);
    EXPECT_EQ(dump.process.fixed.ppid, run.pid);
    EXPECT_EQ(ForklingCopies(dump, dir), kCopies);
    SiteFinder f(dump);
    EXPECT_EQ(Totals(f.AllocatedIn("child_leak")), "alloc 1/777, free 0/0, live 1/777")
        << f.DescribeSites();
    if (::testing::Test::HasFailure()) return;  // one child's story is enough
  }
}

// A program thread spends nearly all its time in our dlclose hook's walk of the module list,
// and the dumper walks it every 100 ms: without the fork gate, nearly every child hangs.
TEST(ForkStorm, NoChildHangsAtExitWhileTheRecorderWalksTheModuleList) {
  TempDir dir;
  RunResult run = Storm(dir, {"--churn"}, kForks, "3000", "100ms");
  ASSERT_EQ(run.exit_code, 0) << run.Describe() << "; stdout: " << run.out;
  EXPECT_EQ(run.out, "forks 200 hangs 0 failed 0\n");
  EXPECT_EQ(run.err, "");
  ExpectChildDumpsComplete(dir, run, kForks);
  Dump parent;
  ASSERT_TRUE(LoadLastDump(dir.path(), run.pid, &parent));
  EXPECT_TRUE(DumpIsConsistent(parent));
  EXPECT_EQ(ForklingCopies(parent, dir), kCopies);
}

// A program thread holds the loader's lock (inside a dl_iterate_phdr callback) across every
// fork, and glibc leaves it held in the children. Without the preload they exit at once; under
// it a child's exit dump waits at most a second for its dumper's first walk, then lists the
// modules known at fork (the program's dlclose before the storm had our hook note them all).
// The dumper writes only at exit here: a periodic walk would itself wait for the holder inside
// a fork section, and fork would give up on it after a second (those children write no dumps).
TEST(ForkStorm, ChildExitDumpDoesNotWaitForTheLoaderLockAProgramThreadHeld) {
  TempDir dir;
  RunResult run = Storm(dir, {"--hold-loader"}, 1, "5000", "0");
  ASSERT_EQ(run.exit_code, 0) << run.Describe() << "; stdout: " << run.out;
  EXPECT_EQ(run.out, "forks 1 hangs 0 failed 0\n");
  static const std::regex kSaidOnce(
      "(leakscope: pid [0-9]+: the loader's lock was held by another thread of its parent at "
      "fork; its dumps list the modules known at fork\n)");
  EXPECT_TRUE(std::regex_match(run.err, kSaidOnce)) << run.err;
  ExpectChildDumpsComplete(dir, run, 1);
}

// fork_while_cloning: a program thread creates and joins threads without pause while main
// forks children that each create a thread before they exit, and the recorder's dumper starts a
// thread of its own for every dump (every 100 ms here) and one in each child. No child may hang.
// Under qemu-user such children do hang, in qemu's own lock, with or without the recorder (the
// program's header, docs/platforms.md): this is what the arm64 root cannot check.
TEST(ForkWhileCloning, ChildrenOfAParentCreatingThreadsNeverHang) {
  TempDir dir;
  RunResult run = RunIn(dir, Program("fork_while_cloning"),
                        Exact({"100", "5000"}, {{"LEAKSCOPE_INTERVAL", "100ms"}}));
  ASSERT_EQ(run.exit_code, 0) << run.Describe() << "; stdout: " << run.out;
  EXPECT_EQ(run.out, "forks 100 hangs 0 failed 0\n");
  EXPECT_EQ(run.err, "");
}

// _Fork runs no fork handlers: the child's recorder state is its parent's, locks included, in
// whatever state they were in. It must not write a dump (it would be the parent's tables under
// the child's pid, if it did not hang); it says so instead.
TEST(ForkWithoutHandlers, TheChildWritesNoDumpAndSaysWhy) {
  TempDir dir;
  RunResult run = RunIn(dir, Program("fork_exec"), Exact({"raw-fork"}));
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  std::smatch m;
  ASSERT_TRUE(std::regex_match(run.out, m, std::regex("child ([0-9]+)\n"))) << run.out;
  pid_t child = static_cast<pid_t>(std::stol(m[1]));
  EXPECT_EQ(run.err, "leakscope: pid " + std::to_string(child) +
                         " was made without fork's handlers (_Fork, vfork or clone); it writes no "
                         "dump\n");
  EXPECT_TRUE(DumpsOf(dir.path(), child).empty());
  Dump parent;
  ASSERT_TRUE(LoadLastDump(dir.path(), run.pid, &parent));
  EXPECT_TRUE(DumpIsConsistent(parent));
}

}  // namespace
}  // namespace leakscope::testing
// SPDX-License-Identifier: Apache-2.0
