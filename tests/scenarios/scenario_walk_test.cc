// The recorder's stack walk in whole programs: it reaches every thread's first frame through
// ordinary code, and it stops, without a fault, at the first return address into code that is
// in no module (what a JVM's JIT-compiled code is).
#include <algorithm>

#include "scenario_fixture.h"

namespace leakscope::testing {
namespace {

// Every allocation recorded through frame-pointer frames (the scenarios' -fno-omit-frame-pointer),
// threads, a dlopen'ed library, 30-deep recursion, libstdc++'s operator new, zlib's streams
// (walked from the zlib hooks) and the whole malloc family: every stack ends at its thread's
// outermost frame (_start, or clone3 in libc for threads), which the unwind tables mark as such.
// The only exception is allocations from library constructors, which ld.so's _dl_start_user
// (assembly without unwind information) calls: their walks end there and are counted truncated.
TEST(StackWalk, EveryStackReachesItsThreadsFirstFrame) {
  struct Case {
    const char* program;
    std::vector<std::string> args;
    size_t min_sites;
  };
  for (const Case& c :
       {Case{"stacks", {"deep"}, 1}, Case{"stacks", {"many-stacks"}, 50},
        Case{"threads_cross_free", {}, 2}, Case{"dlopen_leak", {Library("leaky")}, 1},
        Case{"cxx_new", {}, 2}, Case{"zlib_streams", {}, 4}, Case{"alloc_family", {}, 4}}) {
    SCOPED_TRACE(c.program);
    TempDir dir;
    Dump dump;
    ASSERT_TRUE(RunAndLoad(dir, Program(c.program), Exact(c.args), &dump));
    SiteFinder f(dump);
    EXPECT_GE(dump.sites.size(), c.min_sites);
    EXPECT_EQ(dump.counters.unwind_failures, 0u);
    uint64_t from_loader = 0;
    for (const SiteInfo& site : dump.sites) {
      ASSERT_FALSE(site.pcs.empty());
      const ModuleInfo* outermost = f.ModuleAt(site.pcs.back());
      ASSERT_NE(outermost, nullptr) << f.DescribeSites();
      std::string_view module = Basename(outermost->path);
      if (module.starts_with("ld-linux")) {
        from_loader += site.fixed.alloc_count;
        continue;
      }
      bool first_frame = (module == "libc.so.6" && f.FunctionAt(site.pcs.back()).empty()) ||
                         f.FunctionAt(site.pcs.back()) == "_start";
      EXPECT_TRUE(first_frame) << "site " << site.fixed.site_id << " ends in " << module << " "
                               << f.FunctionAt(site.pcs.back()) << "\n"
                               << f.DescribeSites();
    }
#if defined(__aarch64__)
    // AArch64's dynamic loader describes its own start (x30 undefined), so its allocations'
    // walks end at the outermost frame too; x86-64's starts in assembly without CFI.
    EXPECT_EQ(dump.counters.truncated_walks, 0u);
#else
    EXPECT_EQ(dump.counters.truncated_walks, from_loader);
#endif
  }
}

// On glibc < 2.35 (no _dl_find_object) the walk finds modules in the recorder's own table, kept
// by the dlopen and dlclose hooks. LEAKSCOPE_TEST_MODULE_TABLE=1 makes this glibc use it too:
// every program must give the very same stacks (frames by name, with their counts and bytes) as
// with _dl_find_object, a library dlopened after start (dlopen_leak) and threads included. Our
// own frames aside: under the table, the dlopen hook is a frame of its own in allocations made
// inside dlopen; with _dl_find_object it is a tail call.
TEST(StackWalk, TheRecordersModuleTableGivesTheSameStacksAsDlFindObject) {
  struct Case {
    const char* program;
    std::vector<std::string> args;
  };
  auto stacks = [](const Dump& dump) {
    SiteFinder f(dump);
    std::vector<std::string> out;
    for (const SiteInfo& site : dump.sites) {
      std::string line = std::to_string(site.fixed.alloc_count) + " x " +
                         std::to_string(site.fixed.alloc_bytes) + " B:";
      for (uint64_t pc : site.pcs) {
        const ModuleInfo* module = f.ModuleAt(pc);
        if (module != nullptr && Basename(module->path) == "libleakscope.so") continue;
        line += " " + std::string(f.FunctionAt(pc));
      }
      out.push_back(line);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  for (const Case& c : {Case{"stacks", {"deep"}}, Case{"threads_cross_free", {}},
                        Case{"dlopen_leak", {Library("leaky")}}, Case{"zlib_streams", {}}}) {
    SCOPED_TRACE(c.program);
    TempDir with_dlfo, with_table;
    Dump oracle, dump;
    ASSERT_TRUE(RunAndLoad(with_dlfo, Program(c.program), Exact(c.args), &oracle));
    ASSERT_TRUE(RunAndLoad(with_table, Program(c.program),
                           Exact(c.args, {{"LEAKSCOPE_TEST_MODULE_TABLE", "1"}}), &dump));
    EXPECT_EQ(stacks(dump), stacks(oracle));
    EXPECT_EQ(dump.counters.truncated_walks, oracle.counters.truncated_walks);
    EXPECT_EQ(dump.counters.unwind_failures, 0u);
  }
  // The dlopened library's own frames, under the table: found through the dlopen hook.
  TempDir dir;
  Dump dump;
  ASSERT_TRUE(RunAndLoad(dir, Program("dlopen_leak"),
                         Exact({Library("leaky")}, {{"LEAKSCOPE_TEST_MODULE_TABLE", "1"}}), &dump));
  SiteFinder f(dump);
  std::vector<const SiteInfo*> sites = f.SitesAllocatedIn("leaky_alloc");
  ASSERT_EQ(sites.size(), 1u) << f.DescribeSites();
  std::vector<std::string> frames = f.Frames(*sites[0]);
  ASSERT_GE(frames.size(), 4u);
  EXPECT_EQ(frames[0], "leaky_alloc");
  EXPECT_EQ(frames[1], "leaky_run");
  EXPECT_EQ(frames[2], "main");
  EXPECT_EQ(Totals(f.AllocatedIn("leaky_alloc")), "alloc 5/1665, free 0/0, live 5/1665");
}

// Under the table, a dlopen of a bare name stays a tail call: glibc must see the program as the
// caller, or it would not search the program's RUNPATH (the only place libleaky.so is found) and
// the program's dlopen would fail under the recorder. The dumper adds the module within a second;
// the program waits 1.5 s before leaking, so the leak's stack goes through the library to main.
TEST(StackWalk, ABareNameDlopenUnderTheModuleTableStillSearchesTheCallersRunpath) {
  TempDir dir;
  Dump dump;
  RunResult run;
  ASSERT_TRUE(RunAndLoad(dir, Program("dlopen_runpath"),
                         Exact({"libleaky.so", "1500"}, {{"LEAKSCOPE_TEST_MODULE_TABLE", "1"}}),
                         &dump, &run))
      << run.err;
  SiteFinder f(dump);
  EXPECT_EQ(Totals(f.AllocatedIn("leaky_alloc")), "alloc 5/1665, free 0/0, live 5/1665")
      << f.DescribeSites();
  std::vector<const SiteInfo*> sites = f.SitesAllocatedIn("leaky_alloc");
  ASSERT_EQ(sites.size(), 1u) << f.DescribeSites();
  std::vector<std::string> frames = f.Frames(*sites[0]);
  ASSERT_GE(frames.size(), 3u);
  EXPECT_EQ(frames[1], "leaky_run");
  EXPECT_EQ(frames[2], "main");
}

// Through a signal handler: the kernel's signal frame is stepped by the context it saved, and
// the walk goes on through the interrupted frames to _start.
TEST(StackWalk, GoesThroughASignalHandlersFrame) {
#if defined(__aarch64__)
  GTEST_SKIP() << "on AArch64 a signal frame ends the walk (docs/platforms.md)";
#endif
  TempDir dir;
  Dump dump;
  ASSERT_TRUE(RunExact(dir, Program("stacks"), {"signal"}, &dump));
  SiteFinder f(dump);
  EXPECT_EQ(Totals(f.AllocatedIn("in_handler")), "alloc 1/777, free 0/0, live 1/777")
      << f.DescribeSites();
  std::vector<const SiteInfo*> sites = f.SitesAllocatedIn("in_handler");
  ASSERT_EQ(sites.size(), 1u);
  std::vector<std::string> frames = f.Frames(*sites[0]);
  auto at = [&](const std::string& name) {
    return std::find(frames.begin(), frames.end(), name) - frames.begin();
  };
  EXPECT_EQ(at("in_handler"), 0);
  EXPECT_LT(at("raise_here"), at("main"));
  EXPECT_LT(at("main"), static_cast<long>(frames.size()));
  EXPECT_EQ(frames.back(), "_start");
  EXPECT_EQ(dump.counters.truncated_walks, 0u);
}

// The JVM crash this guards against: a sampled allocation called from JIT code, where rbp holds
// no frame pointer. The walk keeps the return address into the JIT code as the last frame (the
// boundary the analyzer shows as [jit]) and reads nothing beyond it.
TEST(StackWalk, StopsAtTheReturnAddressIntoJitCode) {
  TempDir dir;
  RunResult run = RunIn(dir, Program("jit_frames"), Exact());
  ASSERT_TRUE(CleanExit(run));
  Dump dump;  // not DumpIsConsistent: it rejects a pc in no module, which this stack has
  ASSERT_TRUE(LoadLastDump(dir.path(), run.pid, &dump));
  SiteFinder f(dump);
  EXPECT_EQ(Totals(f.AllocatedIn("leak_from_jit")), "alloc 100/432100, free 0/0, live 100/432100")
      << f.DescribeSites();
  std::vector<const SiteInfo*> sites = f.SitesAllocatedIn("leak_from_jit");
  ASSERT_EQ(sites.size(), 1u) << f.DescribeSites();
  const SiteInfo& site = *sites[0];
  ASSERT_EQ(site.pcs.size(), 2u) << f.DescribeSites();
  EXPECT_EQ(f.FunctionAt(site.pcs[0]), "leak_from_jit");
  EXPECT_EQ(f.ModuleAt(site.pcs[1]), nullptr) << "the boundary frame is in no module";
  EXPECT_EQ(dump.counters.unwind_failures, 0u);
  EXPECT_EQ(dump.counters.truncated_walks, 0u);
}

}  // namespace
}  // namespace leakscope::testing
// SPDX-License-Identifier: Apache-2.0
