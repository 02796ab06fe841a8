// SPDX-License-Identifier: Apache-2.0
// Issue 17: the recorder loaded into a running program as an agent (dlopen + Agent_OnAttach, as
// `leakscope attach` makes a JVM do), with no LD_PRELOAD: it routes the program's calls to its
// hooks by rewriting GOT slots (preload/got_patcher.h). tests/scenarios/agent_routing.c.
#include <gtest/gtest.h>
#include <unistd.h>

#include "agent_codes.h"
#include "scenario_fixture.h"

namespace leakscope::testing {
namespace {

// agent_routing with the agent's options; no preload, no LEAKSCOPE_* variable.
RunResult RunAttached(const std::string& options, int threads = 0) {
  RunOptions run;
  run.args = {kPreload, options, Library("routedlate")};
  if (threads > 0) run.args.push_back(std::to_string(threads));
  return RunProgram(Program("agent_routing"), run);
}

std::string Codes(int attach, int again, int stop, int stop_again, int after_stop) {
  return "attach " + std::to_string(attach) + "\nattach again " + std::to_string(again) +
         "\nstop " + std::to_string(stop) + "\nstop again " + std::to_string(stop_again) +
         "\nattach after stop " + std::to_string(after_stop) + "\n";
}

TEST(AgentRouting, RecordsWhatAProgramWithoutPreloadAllocatesAfterTheAttachAndNothingElse) {
  TempDir dir;
  RunResult run = RunAttached("dir=" + dir.path() + ",interval=0,sample_bytes=1");
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(run.out, Codes(agent::kOk, agent::kAlreadyRecording, agent::kOk, agent::kNotRecording,
                           agent::kStopped));
  // One dump: the one written at the stop (nothing records afterwards, not even the exit).
  std::vector<DumpFile> dumps = DumpsOf(dir.path(), run.pid);
  ASSERT_EQ(dumps.size(), 1u);
  Dump dump;
  ASSERT_TRUE(LoadDump(dumps[0].path, &dump));
  ASSERT_TRUE(DumpIsConsistent(dump));
  SiteFinder f(dump);
  // The program's own calls (full RELRO: read-only slots).
  SiteTotals after = f.AllocatedIn("leak_after_attach");
  EXPECT_EQ(after.live_bytes, 100u * 1000) << f.DescribeSites();
  EXPECT_EQ(after.live_count, 100u);
  // A library loaded after the attach (lazy binding: writable slots), routed when dlopen returned.
  SiteTotals late = f.AllocatedIn("routed_late_leak");
  EXPECT_EQ(late.live_bytes, 50u * 3000) << f.DescribeSites();
  // Blocks from before the attach: never recorded; the 25 reallocated after it are new blocks.
  EXPECT_EQ(f.AllocatedIn("allocate_before_attach").alloc_count, 0u) << f.DescribeSites();
  SiteTotals reallocated = f.AllocatedIn("main");
  EXPECT_EQ(reallocated.live_bytes, 25u * 4000) << f.DescribeSites();
  // After the stop: nothing.
  EXPECT_EQ(f.AllocatedIn("leak_after_stop").alloc_count, 0u) << f.DescribeSites();
}

// Threads allocate and free all through the attach, the rewriting of the slots and the stop:
// calls in flight finish in the real functions, later ones in the hooks, frees of either kind
// of block are fine. Run a few times: a race shows as a crash or a hang.
TEST(AgentRouting, ThreadsAllocatingThroughTheAttachAndTheStopRunUnharmed) {
  for (int round = 0; round < 5; ++round) {
    TempDir dir;
    RunResult run = RunAttached("dir=" + dir.path() + ",interval=0", 4);
    ASSERT_EQ(run.exit_code, 0) << "round " << round << ": " << run.Describe();
    EXPECT_EQ(run.err, "");
    EXPECT_EQ(run.out, Codes(agent::kOk, agent::kAlreadyRecording, agent::kOk, agent::kNotRecording,
                             agent::kStopped));
    EXPECT_EQ(DumpsOf(dir.path(), run.pid).size(), 1u);
  }
}

// `leakscope attach` that raced the JVM's exit: the agent sees JVMTI past its live phase and
// refuses with kVmEnding before it starts anything: no dump directory, no dump, nothing on stderr.
TEST(AgentRouting, AJvmPastItsLivePhaseIsRefusedAndNothingStarts) {
  TempDir dir;
  std::string sub = dir.path() + "/dumps";
  RunOptions run;
  run.args = {kPreload, "dir=" + sub + ",interval=0,sample_bytes=1"};
  RunResult result = RunProgram(Program("agent_ending_vm"), run);
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(result.out.substr(0, result.out.find("kept")),
            "attach " + std::to_string(agent::kVmEnding) + "\nGetEnv calls 1\n");
  EXPECT_NE(access(sub.c_str(), F_OK), 0) << "the refused attach created " << sub;
}

// A bad option string changes nothing: no recording, no dump directory, and the stop finds
// nothing to stop.
TEST(AgentRouting, ABadOptionStringIsRefusedAndChangesNothing) {
  TempDir dir;
  std::string sub = dir.path() + "/dumps";
  RunResult run = RunAttached("dir=" + sub + ",colour=blue");
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(run.out, Codes(agent::kBadOptions, agent::kBadOptions, agent::kNotRecording,
                           agent::kNotRecording, agent::kBadOptions));
  EXPECT_NE(run.err.find("ignoring the agent option \"colour\": no such option"), std::string::npos)
      << run.err;
  EXPECT_NE(access(sub.c_str(), F_OK), 0) << sub << " exists";
}

// A library loaded RTLD_DEEPBIND with a malloc and free of its own keeps them: its GOT slots are
// bound to other functions than the hooks forward to, so routing leaves them alone. Routed, its
// free() of a block made before the attach would reach glibc's free() and abort.
TEST(AgentRouting, ALibraryBoundToItsOwnAllocatorKeepsIt) {
  TempDir dir;
  RunOptions run;
  run.args = {kPreload, "dir=" + dir.path() + ",interval=0,sample_bytes=1", Library("ownmalloc")};
  RunResult result = RunProgram(Program("agent_deepbind"), run);
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  EXPECT_EQ(result.out, "attach 0\nstop 0\n");
  std::vector<DumpFile> dumps = DumpsOf(dir.path(), result.pid);
  ASSERT_EQ(dumps.size(), 1u);
  Dump dump;
  ASSERT_TRUE(LoadDump(dumps[0].path, &dump));
  SiteFinder f(dump);
  // The program's own calls are routed all the same.
  EXPECT_EQ(f.AllocatedIn("leak_after_attach").live_bytes, 20u * 500) << f.DescribeSites();
}

}  // namespace
}  // namespace leakscope::testing
