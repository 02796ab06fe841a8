// Scenarios that leave through _exit and _Exit, which skip exit()'s handlers and the recorder's
// destructor with them: the final dump is written by the hook instead, with the exit status
// kept, except where writing it is unsafe (a vfork child, a signal handler).
#include <unistd.h>

#include <algorithm>
#include <regex>

#include "scenario_fixture.h"

namespace leakscope::testing {
namespace {

// The pid and exit status exit_paths printed as "child <pid> status <s>".
bool ChildOf(const std::string& out, pid_t* pid, int* status) {
  std::smatch m;
  static const std::regex kChild(R"(child ([0-9]+) status ([0-9]+)\n)");
  if (!std::regex_search(out, m, kChild)) return false;
  *pid = static_cast<pid_t>(std::stol(m[1]));
  *status = std::stoi(m[2]);
  return true;
}

// exit_leak's three blocks, with the call site: exit_leak called from main.
void ExpectExitLeak(const Dump& dump) {
  SiteFinder f(dump);
  EXPECT_EQ(Totals(f.AllocatedIn("exit_leak")), "alloc 3/3000, free 0/0, live 3/3000")
      << f.DescribeSites();
  std::vector<const SiteInfo*> sites = f.SitesAllocatedIn("exit_leak");
  ASSERT_EQ(sites.size(), 1u) << f.DescribeSites();
  std::vector<std::string> frames = f.Frames(*sites[0]);
  auto at = std::find(frames.begin(), frames.end(), "exit_leak");
  ASSERT_NE(at, frames.end());
  ASSERT_NE(at + 1, frames.end());
  EXPECT_EQ(*(at + 1), "main");
}

// Runs exit_paths in `mode`; expects `code` and an empty stderr, and loads the single dump,
// checked with DumpIsConsistent unless other threads were allocating while it was written (a
// site's counters are then read at slightly different moments, as in any periodic dump).
void RunExpectingOneDump(const std::string& mode, int code, Dump* dump, bool quiet = true) {
  TempDir dir;
  RunResult run = RunIn(dir, Program("exit_paths"), Exact({mode}));
  ASSERT_EQ(run.exit_code, code) << run.Describe();
  EXPECT_EQ(run.err, "");
  std::vector<DumpFile> dumps = ListDumps(dir.path());
  ASSERT_EQ(dumps.size(), 1u) << "a single exit dump";
  EXPECT_EQ(dumps[0].pid, run.pid);
  ASSERT_TRUE(LoadDump(dumps[0].path, dump));
  if (quiet) {
    ASSERT_TRUE(DumpIsConsistent(*dump));
  }
}

TEST(ImmediateExit, UnderscoreExitWritesTheFinalDumpAndKeepsTheStatus) {
  Dump dump;
  RunExpectingOneDump("_exit", 3, &dump);
  ExpectExitLeak(dump);
}

TEST(ImmediateExit, CapitalExitWritesTheFinalDumpAndKeepsTheStatus) {
  Dump dump;
  RunExpectingOneDump("_Exit", 5, &dump);
  ExpectExitLeak(dump);
}

TEST(ImmediateExit, OtherThreadsAllocatingMeanwhileDoNotStopIt) {
  Dump dump;
  RunExpectingOneDump("threads", 4, &dump, /*quiet=*/false);
  ExpectExitLeak(dump);
  EXPECT_GT(SiteFinder(dump).AllocatedIn("churn").alloc_count, 0u);
}

TEST(ImmediateExit, AnAtexitHandlerThatCallsUnderscoreExitStillGetsTheDump) {
  // exit() runs atexit handlers before library destructors, so the recorder's never runs.
  Dump dump;
  RunExpectingOneDump("after-exit", 8, &dump);
  ExpectExitLeak(dump);
}

TEST(ImmediateExit, AnUnderscoreExitAfterTheExitDumpWritesNoSecond) {
  // The preload's destructor writes the exit dump; a library destructor after it calls _exit.
  Dump dump;
  RunExpectingOneDump("late-exit", 11, &dump);
  ExpectExitLeak(dump);
}

TEST(ImmediateExit, AForkChildWritesItsOwnDump) {
  TempDir dir;
  RunResult run = RunIn(dir, Program("exit_paths"), Exact({"fork"}));
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(run.err, "");
  pid_t child;
  int status;
  ASSERT_TRUE(ChildOf(run.out, &child, &status)) << run.out;
  EXPECT_EQ(status, 6);
  ASSERT_EQ(DumpsOf(dir.path(), child).size(), 1u);
  Dump kid, parent;
  ASSERT_TRUE(LoadLastDump(dir.path(), child, &kid));
  ASSERT_TRUE(LoadLastDump(dir.path(), run.pid, &parent));
  ASSERT_TRUE(DumpIsConsistent(kid));
  EXPECT_EQ(kid.process.fixed.ppid, run.pid);
  SiteFinder cf(kid), pf(parent);
  EXPECT_EQ(Totals(cf.AllocatedIn("child_leak")), "alloc 4/1000, free 0/0, live 4/1000")
      << cf.DescribeSites();
  EXPECT_EQ(Totals(cf.AllocatedIn("parent_leak")), "alloc 0/0, free 0/0, live 0/0");
  EXPECT_EQ(Totals(pf.AllocatedIn("parent_leak")), "alloc 2/1400, free 0/0, live 2/1400");
}

TEST(ImmediateExit, AVforkChildWritesNoneAndLeavesItsParentRecording) {
  TempDir dir;
  RunResult run = RunIn(dir, Program("exit_paths"), Exact({"vfork"}));
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(run.err, "");
  pid_t child;
  int status;
  ASSERT_TRUE(ChildOf(run.out, &child, &status)) << run.out;
  EXPECT_EQ(status, 7);
  // The child ran on the parent's memory: it wrote nothing, and the parent, whose thread it
  // borrowed, still records (after_vfork_leak) and writes its one exit dump.
  EXPECT_TRUE(DumpsOf(dir.path(), child).empty());
  ASSERT_EQ(ListDumps(dir.path()).size(), 1u);
  Dump parent;
  ASSERT_TRUE(LoadLastDump(dir.path(), run.pid, &parent));
  ASSERT_TRUE(DumpIsConsistent(parent));
  SiteFinder pf(parent);
  EXPECT_EQ(Totals(pf.AllocatedIn("parent_leak")), "alloc 2/1400, free 0/0, live 2/1400")
      << pf.DescribeSites();
  EXPECT_EQ(Totals(pf.AllocatedIn("after_vfork_leak")), "alloc 5/1500, free 0/0, live 5/1500");
}

// exit_paths in `mode` calls _exit(code) from a signal handler: no dump, one line saying why.
void ExpectNoDumpFromAHandler(const std::string& mode, int code) {
  TempDir dir;
  RunResult run = RunIn(dir, Program("exit_paths"), Exact({mode}));
  ASSERT_EQ(run.exit_code, code) << run.Describe();
  EXPECT_EQ(run.err, "leakscope: pid " + std::to_string(run.pid) +
                         " called _exit from a signal handler; no exit dump (the handler may have "
                         "interrupted a lock the dump needs)\n");
  EXPECT_TRUE(ListDumps(dir.path()).empty());
}

TEST(ImmediateExit, FromASignalHandlerItWritesNoDumpAndSaysWhy) {
  ExpectNoDumpFromAHandler("handler", 9);
}

TEST(ImmediateExit, FromAHandlerOnAnAlternateStackItWritesNoDump) {
  // The walk cannot read an alternate stack; sigaltstack says the handler runs on it.
  ExpectNoDumpFromAHandler("altstack", 10);
}

TEST(ImmediateExit, NothingWhenTheProcessIsFilteredOut) {
  TempDir dir;
  RunResult run = RunIn(dir, Program("exit_paths"),
                        Exact({"_exit"}, {{"LEAKSCOPE_PROCESS", "no-such-program"}}));
  ASSERT_EQ(run.exit_code, 3) << run.Describe();
  EXPECT_EQ(run.err, "");
  EXPECT_TRUE(ListDumps(dir.path()).empty());
}

// The python3 on PATH as an executable file ("" when there is none): PATH may hold a wrapper
// (pyenv's shims are shell scripts), and the recorder would then see the shell too.
std::string PythonExecutable() {
  RunResult run = RunShell("exec python3 -c 'import sys; print(sys.executable)'");
  if (run.exit_code != 0 || run.out.size() < 2) return "";
  return run.out.substr(0, run.out.size() - 1);
}

// Python's os._exit is _exit: the interpreter's memory is in the dump, with the blocks it was
// told to keep at their exact size (a bytearray of n bytes holds n + 1).
TEST(ImmediateExit, PythonOsUnderscoreExit) {
  // The python3 on PATH, and the distribution's: Debian's is position-dependent and takes
  // malloc's address (see NoPieMallocAddress), which once crashed it at start.
  std::vector<std::string> pythons;
  for (std::string python : {PythonExecutable(), std::string("/usr/bin/python3")}) {
    if (!python.empty() && access(python.c_str(), X_OK) == 0 &&
        std::find(pythons.begin(), pythons.end(), python) == pythons.end()) {
      pythons.push_back(python);
    }
  }
  if (pythons.empty()) GTEST_SKIP() << "no python3";
  for (const std::string& python : pythons) {
    SCOPED_TRACE(python);
    TempDir dir;
    RunOptions options = Exact({"-c",
                                "import os\nkept = [bytearray(1234567) for _ in range(3)]\n"
                                "os._exit(2)\n"});
    RunResult run = RunIn(dir, python, options);
    ASSERT_EQ(run.exit_code, 2) << run.Describe();
    EXPECT_EQ(run.err, "");
    Dump dump;
    ASSERT_TRUE(LoadLastDump(dir.path(), run.pid, &dump));
    ASSERT_TRUE(DumpIsConsistent(dump));
    uint64_t blocks = 0;
    for (const SiteInfo& site : dump.sites) {
      if (site.live_count() != 0 && site.live_bytes() == site.live_count() * 1234568) {
        blocks += site.live_count();
      }
    }
    EXPECT_EQ(blocks, 3u) << SiteFinder(dump).DescribeSites();
  }
}

// The JVM (OpenJDK 17, found at configure time) under the preload with its defaults.
const std::string kJava = SCENARIO_JAVA;
const std::string kJavaClasses = SCENARIO_JAVA_CLASSES;

RunOptions JavaRun(std::vector<std::string> jvm_args, const std::string& mode) {
  RunOptions options = Defaults(std::move(jvm_args));
  options.args.insert(options.args.end(), {"-cp", kJavaClasses, "ExitPaths", mode});
  options.timeout_seconds = 60;
  return options;
}

TEST(ImmediateExitJava, HaltEndsPromptlyWithTheDump) {
  ASSERT_FALSE(kJava.empty()) << "java was not found when the build was configured";
  TempDir dir;
  RunResult run = RunIn(dir, kJava, JavaRun({}, "halt"));
  ASSERT_EQ(run.exit_code, 3) << run.Describe();
  EXPECT_EQ(run.err, "");
  Dump dump;
  ASSERT_TRUE(LoadLastDump(dir.path(), run.pid, &dump));
  EXPECT_TRUE(DumpIsConsistent(dump, /*native_only=*/false));
}

TEST(ImmediateExitJava, TheCrashHandlersUnderscoreExitWritesNoDump) {
  ASSERT_FALSE(kJava.empty()) << "java was not found when the build was configured";
  TempDir dir;
  RunResult run =
      RunIn(dir, kJava,
            JavaRun({"-XX:-CreateCoredumpOnCrash", "-XX:ErrorFile=" + dir.path() + "/hs_err.log"},
                    "crash"));
  ASSERT_EQ(run.exit_code, 1) << run.Describe();
  EXPECT_NE(run.out.find("SIGSEGV"), std::string::npos) << run.out;
  EXPECT_NE(run.err.find("leakscope: pid " + std::to_string(run.pid) +
                         " called _exit from a signal handler; no exit dump"),
            std::string::npos)
      << run.err;
  EXPECT_TRUE(DumpsOf(dir.path(), run.pid).empty());
}

TEST(ImmediateExitJava, AVforkChildsUnderscoreExitAfterAFailedExecWritesNone) {
  ASSERT_FALSE(kJava.empty()) << "java was not found when the build was configured";
  TempDir dir;
  RunResult run =
      RunIn(dir, kJava, JavaRun({"-Djdk.lang.Process.launchMechanism=VFORK"}, "spawn-fail"));
  ASSERT_EQ(run.exit_code, 5) << run.Describe();
  EXPECT_EQ(run.out, "spawn failed\n");
  EXPECT_EQ(run.err, "");
  std::vector<DumpFile> dumps = ListDumps(dir.path());
  ASSERT_EQ(dumps.size(), 1u);
  EXPECT_EQ(dumps[0].pid, run.pid);
  Dump dump;
  ASSERT_TRUE(LoadDump(dumps[0].path, &dump));
  EXPECT_TRUE(DumpIsConsistent(dump, /*native_only=*/false));
}

}  // namespace
}  // namespace leakscope::testing
