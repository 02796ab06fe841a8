// SPDX-License-Identifier: Apache-2.0
// Talking to a running recorder (issue 17): the status file a preloaded program keeps while it
// runs (and a fork child's own), removed at exit; `leakscope dump PID --label` against it; and
// the dump command's messages when there is nothing to talk to.
//
// The program runs in the background of a small shell script, under its own TMPDIR (so its
// status file is this test's alone) and a LEAKSCOPE_DIR elsewhere (so the status file is shown
// to live in the runtime directory whatever LEAKSCOPE_DIR says).
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "machine.h"
#include "scenario_fixture.h"

namespace leakscope::testing {
namespace {

const std::string kLeakscope = LEAKSCOPE_BIN;

// Starts wait_for_stop (MODE: "" or "fork") preloaded in the background, waits for one
// "ready" line per process and each one's status file, then runs $W_BODY (with $pid the
// program's, $st the runtime directory), stops it and lists the runtime directory.
constexpr char kScript[] = R"sh(
set -u
st="$W_TMP/leakscope-${W_UID:-$(id -u)}"
$W_AS env LD_PRELOAD="$W_PRELOAD" TMPDIR="$W_TMP" LEAKSCOPE_DIR="$W_DIR" LEAKSCOPE_INTERVAL=0 \
    LEAKSCOPE_SAMPLE_BYTES=1 "$W_PROG" "$W_TMP/stop" $W_MODE > "$W_TMP/ready" &
pid=$!
i=0
while [ $i -lt 1000 ]; do
  n=0; ok=1
  for p in $(sed -n 's/^ready //p' "$W_TMP/ready"); do
    n=$((n + 1)); [ -f "$st/leakscope.$p.status" ] || ok=0
  done
  [ $n -eq "$W_PROCESSES" ] && [ $ok -eq 1 ] && break
  sleep 0.02; i=$((i + 1))
done
eval "$W_BODY"
touch "$W_TMP/stop"
wait $pid
echo "exit $?"
echo "left: $(ls -A "$st")"
)sh";

struct Background {
  RunResult run;
  std::vector<std::string> pids;  // from the "ready" lines, the program's first
};

// `as`: a prefix that runs the program as another user (setpriv ...); `tmp_dir` its TMPDIR
// (tmp.path() when empty); `uid` the program's uid.
Background RunInBackground(const TempDir& tmp, const TempDir& dir, const std::string& mode,
                           int processes, const std::string& body, const std::string& as = "",
                           std::string tmp_dir = "", unsigned uid = geteuid()) {
  if (tmp_dir.empty()) tmp_dir = tmp.path();
  RunOptions options;
  options.env = {{"W_AS", as},
                 {"W_UID", std::to_string(uid)},
                 {"W_TMP", tmp_dir},
                 {"W_DIR", dir.path()},
                 {"W_PROG", Program("wait_for_stop")},
                 {"W_PRELOAD", kPreload},
                 {"W_MODE", mode},
                 {"W_PROCESSES", std::to_string(processes)},
                 {"W_BIN", kLeakscope},
                 {"W_BODY", body}};
  options.timeout_seconds = 60;
  Background b;
  b.run = RunShell(kScript, options);
  std::istringstream ready(ReadFile(tmp_dir + "/ready"));
  std::string word, pid;
  while (ready >> word >> pid) b.pids.push_back(pid);
  return b;
}

std::string RuntimeDir(const TempDir& tmp) {
  return tmp.path() + "/leakscope-" + std::to_string(geteuid());
}

// What the status file of process `pid` recording into `dir` must say (but its version).
std::string ExpectedStatus(const std::string& pid, const std::string& dir,
                           const std::string& version) {
  return "leakscope_status=1\npid=" + pid + "\ndir=" + dir + "\ntrigger=" + dir + "/leakscope." +
         pid + ".trigger\nvia=preload\nversion=" + version + "\n";
}

TEST(StatusFile, SaysWhereAPreloadedProgramRecordsAndGoesAtExit) {
  TempDir tmp, dir;
  Background b = RunInBackground(tmp, dir, "", 1,
                                 "f=\"$st/leakscope.$pid.status\"; echo \"== $pid\"; cat \"$f\"; "
                                 "stat -c '%a %F %u' \"$f\"");
  ASSERT_EQ(b.pids.size(), 1u) << b.run.Describe() << b.run.out;
  const std::string& pid = b.pids[0];
  Dump exit_dump;
  ASSERT_TRUE(LoadLastDump(dir.path(), std::stoi(pid), &exit_dump));
  ASSERT_FALSE(exit_dump.recorder_version.empty());
  // It also says which architecture it ran on (format::ProcessMachine), so the analyzer can tell
  // whether this machine's files may name its code.
  EXPECT_TRUE(exit_dump.process.machine_known);
  EXPECT_EQ(exit_dump.process.machine, kThisMachine);
  EXPECT_EQ(b.run.out, "== " + pid + "\n" +
                           ExpectedStatus(pid, dir.path(), exit_dump.recorder_version) +
                           "600 regular file " + std::to_string(geteuid()) + "\nexit 0\nleft: \n")
      << b.run.Describe();
  // The runtime directory is the default one, even though the dumps went to LEAKSCOPE_DIR.
  struct stat st;
  ASSERT_EQ(stat(RuntimeDir(tmp).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(StatusFile, AForkChildWritesItsOwn) {
  TempDir tmp, dir;
  Background b = RunInBackground(
      tmp, dir, "fork", 2,
      "for p in $(sed -n 's/^ready //p' \"$W_TMP/ready\" | sort -n); do echo \"== $p\"; "
      "cat \"$st/leakscope.$p.status\"; done");
  ASSERT_EQ(b.pids.size(), 2u) << b.run.Describe() << b.run.out;
  std::vector<std::string> sorted = b.pids;
  std::sort(sorted.begin(), sorted.end(),
            [](const std::string& a, const std::string& c) { return std::stoi(a) < std::stoi(c); });
  Dump parent_exit;
  ASSERT_TRUE(LoadLastDump(dir.path(), std::stoi(b.pids[0]), &parent_exit));
  const std::string& v = parent_exit.recorder_version;
  EXPECT_EQ(b.run.out, "== " + sorted[0] + "\n" + ExpectedStatus(sorted[0], dir.path(), v) +
                           "== " + sorted[1] + "\n" + ExpectedStatus(sorted[1], dir.path(), v) +
                           "exit 0\nleft: \n")
      << b.run.Describe();
  // Both recorded: the child's exit dump is its own.
  EXPECT_EQ(DumpsOf(dir.path(), std::stoi(b.pids[1])).size(), 1u);
}

// A runtime directory that cannot be made: one warning, and recording (the dumps, a trigger)
// goes on.
TEST(StatusFile, AnUnusableRuntimeDirectoryCostsOneWarning) {
  TempDir dir;
  RunResult run = RunIn(dir, Program("trigger"), Exact({}, {{"TMPDIR", "/nonexistent-ls/tmp"}}));
  EXPECT_EQ(run.exit_code, 0) << run.Describe();  // 2: no dump came for the trigger
  const std::string wanted = "/nonexistent-ls/tmp/leakscope-" + std::to_string(geteuid());
  EXPECT_EQ(run.err, "leakscope: cannot use status file directory " + wanted +
                         " (cannot create it: No such file or directory) nor make a private one "
                         "in /nonexistent-ls/tmp: No such file or directory\n");
  EXPECT_EQ(DumpsOf(dir.path(), run.pid).size(), 2u);
}

TEST(DumpCommand, AsksARunningProgramForALabelledDumpAndPrintsItsPath) {
  TempDir tmp, dir;
  Background b = RunInBackground(
      tmp, dir, "", 1,
      "\"$W_BIN\" dump $pid --label 'batch 7' --wait 20 > \"$W_TMP/path\" 2> \"$W_TMP/err\"; "
      "echo \"dump exit $?\"");
  ASSERT_EQ(b.pids.size(), 1u) << b.run.Describe() << b.run.out;
  const std::string& pid = b.pids[0];
  EXPECT_EQ(b.run.out, "dump exit 0\nexit 0\nleft: \n") << ReadFile(tmp.Sub("err"));
  const std::string path = dir.path() + "/leakscope." + pid + ".0.dump";
  EXPECT_EQ(ReadFile(tmp.Sub("path")), path + "\n");
  EXPECT_EQ(ReadFile(tmp.Sub("err")), "");
  Dump dump;
  ASSERT_TRUE(LoadDump(path, &dump));
  EXPECT_EQ(dump.label, "batch 7");
  SiteFinder f(dump);  // taken while the program waited: before_request only
  EXPECT_EQ(Totals(f.AllocatedIn("before_request")), "alloc 2/1400, free 0/0, live 2/1400");
  EXPECT_EQ(Totals(f.AllocatedIn("after_stop")), "alloc 0/0, free 0/0, live 0/0");
  // The exit dump that followed is unlabelled.
  std::vector<DumpFile> dumps = DumpsOf(dir.path(), std::stoi(pid));
  ASSERT_EQ(dumps.size(), 2u);
  Dump at_exit;
  ASSERT_TRUE(LoadDump(dumps[1].path, &at_exit));
  EXPECT_EQ(at_exit.label, "");
  // What report shows of it.
  RunOptions options;
  options.args = {"report", "--format", "json", path};
  RunResult report = RunProgram(kLeakscope, options);
  ASSERT_EQ(report.exit_code, 0) << report.Describe();
  EXPECT_NE(report.out.find("\"label\": \"batch 7\""), std::string::npos) << report.out;
}

// A request the dumper took (the trigger is gone) but had not answered when the program exited:
// the program, seeing its trigger gone, returned from main at once while the dumper was held up
// after removing it (trigger_then_exit.c makes that certain). The exit dump must not swallow the
// request: the labelled dump comes first, then the exit dump. Before the fix the exit dump took
// the dump lock first and stopped the dumper: one dump, unlabelled.
TEST(DumpCommand, ARequestTakenJustBeforeTheExitIsAnsweredUnderItsLabel) {
  TempDir dir;
  RunResult run = RunIn(dir, Program("trigger_then_exit"), Exact());
  ASSERT_EQ(run.exit_code, 0) << run.Describe();  // 2: the trigger was never taken
  std::vector<DumpFile> dumps = DumpsOf(dir.path(), run.pid);
  ASSERT_EQ(dumps.size(), 2u) << run.Describe();
  Dump requested, at_exit;
  ASSERT_TRUE(LoadDump(dumps[0].path, &requested));
  ASSERT_TRUE(LoadDump(dumps[1].path, &at_exit));
  EXPECT_EQ(requested.label, "last batch");
  EXPECT_EQ(at_exit.label, "");
  for (const Dump* dump : {&requested, &at_exit}) {
    SiteFinder f(*dump);
    EXPECT_EQ(Totals(f.AllocatedIn("before_request")), "alloc 2/1400, free 0/0, live 2/1400");
  }
}

// Root asks a process of another user: the trigger must be that user's, or its recorder could
// not read the label (a 0600 file of root's) and the labelled dump would never come.
TEST(DumpCommand, RootAsksAnotherUsersProcessWhoseRecorderReadsTheLabel) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root, to run the program as nobody";
  const std::string as = "/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups ";
  RunResult probe =
      RunShell(as + "/usr/bin/test -x " + Program("wait_for_stop") + " -a -r " + kPreload);
  if (probe.exit_code != 0) GTEST_SKIP() << "nobody cannot run the build tree's programs";
  TempDir tmp, dir;
  // Directories nobody can use: its TMPDIR and a shared dump directory (the recorder makes its
  // private leakscope-65534 inside), as /tmp is.
  ASSERT_EQ(chmod(tmp.path().c_str(), 0755), 0);
  ASSERT_EQ(chmod(dir.path().c_str(), 01777), 0);
  const std::string nobody_tmp = tmp.Sub("nobody");
  ASSERT_EQ(mkdir(nobody_tmp.c_str(), 0777), 0);
  ASSERT_EQ(chmod(nobody_tmp.c_str(), 01777), 0);
  Background b = RunInBackground(
      tmp, dir, "", 1,
      "\"$W_BIN\" dump $pid --label 'batch 9' --wait 20 > \"$W_TMP/path\" 2> \"$W_TMP/err\"; "
      "echo \"dump exit $?\"",
      as, nobody_tmp, 65534);
  ASSERT_EQ(b.pids.size(), 1u) << b.run.Describe() << b.run.out;
  EXPECT_EQ(b.run.out, "dump exit 0\nexit 0\nleft: \n") << ReadFile(nobody_tmp + "/err");
  const std::string path = dir.path() + "/leakscope-65534/leakscope." + b.pids[0] + ".0.dump";
  EXPECT_EQ(ReadFile(nobody_tmp + "/path"), path + "\n");
  Dump dump;
  ASSERT_TRUE(LoadDump(path, &dump));
  EXPECT_EQ(dump.label, "batch 9");
}

// Another user may not read a process' status file (its directory is 0700): say so, and who
// may. The program keeps the default TMPDIR (none): nobody cannot read its environment, so /tmp
// is where it looks, and the process' status file is in root's /tmp/leakscope-0.
TEST(DumpCommand, SaysPermissionDeniedToAnotherUser) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root, to ask as nobody";
  const std::string as = "/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups ";
  RunResult probe = RunShell(as + "/usr/bin/test -x " + kLeakscope);
  if (probe.exit_code != 0) GTEST_SKIP() << "nobody cannot run the build tree's leakscope";
  struct stat st;
  if (lstat("/tmp/leakscope-0", &st) == 0 &&
      (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 0077) != 0)) {
    GTEST_SKIP() << "/tmp/leakscope-0 is not root's private directory here";
  }
  TempDir dir;
  RunOptions options;
  options.unset = {"TMPDIR"};
  options.env = {{"W_DIR", dir.path()},
                 {"W_PROG", Program("wait_for_stop")},
                 {"W_PRELOAD", kPreload},
                 {"W_BIN", kLeakscope},
                 {"W_AS", as}};
  options.timeout_seconds = 60;
  RunResult r = RunShell(R"sh(
LD_PRELOAD="$W_PRELOAD" LEAKSCOPE_DIR="$W_DIR" "$W_PROG" "$W_DIR/stop" > "$W_DIR/ready" &
pid=$!
i=0
while [ ! -f "/tmp/leakscope-0/leakscope.$pid.status" ] && [ $i -lt 1000 ]; do
  sleep 0.02; i=$((i + 1))
done
$W_AS "$W_BIN" dump $pid
echo "dump exit $? pid $pid"
touch "$W_DIR/stop"
wait $pid
)sh",
                         options);
  std::string pid = ReadFile(dir.Sub("ready")).substr(6);
  ASSERT_FALSE(pid.empty()) << r.Describe();
  pid.pop_back();  // the newline
  EXPECT_EQ(r.out, "dump exit 1 pid " + pid + "\n");
  EXPECT_EQ(r.err, "leakscope dump: permission denied: /tmp/leakscope-0/leakscope." + pid +
                       ".status: Permission denied (run as uid 0, the process' user, or as "
                       "root)\n");
}

TEST(DumpCommand, SaysWhenThereIsNoSuchProcess) {
  RunOptions options;
  options.args = {"dump", "2147483646"};
  RunResult r = RunProgram(kLeakscope, options);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "leakscope dump: no process with pid 2147483646\n");
  EXPECT_EQ(r.out, "");
}

// A process that records nothing, `sleep 20` with TMPDIR=tmpdir; returns once it has exec'd (its
// /proc/PID/environ is then the sleeper's), or -1 if it could not be started.
pid_t StartSleeper(const std::string& tmpdir) {
  pid_t child = fork();
  if (child == 0) {
    setenv("TMPDIR", tmpdir.c_str(), 1);
    execl("/bin/sleep", "sleep", "20", static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0;
       child > 0 && i < 500 && ReadFile("/proc/" + std::to_string(child) + "/comm") != "sleep\n";
       ++i) {
    usleep(10000);
  }
  return child;
}

TEST(DumpCommand, SaysWhereItLookedWhenTheProcessIsNotRecording) {
  // A process that records nothing; its TMPDIR (read from /proc/PID/environ) is a fresh one.
  TempDir tmp;
  pid_t child = StartSleeper(tmp.path());
  ASSERT_GT(child, 0);
  RunOptions dump;
  dump.args = {"dump", std::to_string(child)};
  RunResult r = RunProgram(kLeakscope, dump);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  const std::string uid = std::to_string(geteuid());
  const std::string pid = std::to_string(child);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("leakscope dump: process " + pid +
                            " is not recording with leakscope: no status file (looked for " +
                            tmp.path() + "/leakscope-" + uid + "/leakscope." + pid +
                            ".status, /tmp/leakscope-" + uid + "/leakscope." + pid + ".status",
                        0),
            0u)
      << r.err;
}

TEST(DumpCommand, SaysTheDumperMayBeBusyWhenNoDumpComes) {
  // A status file for a process that does not record (a stand-in for a busy dumper): the
  // request is written where it says, and no dump comes.
  TempDir tmp;
  pid_t child = StartSleeper(tmp.path());
  ASSERT_GT(child, 0);
  const std::string pid = std::to_string(child);
  const std::string runtime = RuntimeDir(tmp), dumps = tmp.Sub("dumps");
  ASSERT_EQ(mkdir(runtime.c_str(), 0700), 0);
  ASSERT_EQ(mkdir(dumps.c_str(), 0700), 0);
  {
    std::ofstream status(runtime + "/leakscope." + pid + ".status");
    status << "leakscope_status=1\npid=" << pid << "\ndir=" << dumps << "\ntrigger=" << dumps
           << "/leakscope." << pid << ".trigger\nvia=preload\nversion=test\nfuture_key=x\n";
  }
  RunOptions dump;
  dump.args = {"dump", pid, "--label", "batch 8", "--wait", "1.5"};
  RunResult r = RunProgram(kLeakscope, dump);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "leakscope dump: no dump from process " + pid + " within 1.5 s in " + dumps +
                       "; the dumper may be busy (a large dump takes a while) or the process "
                       "stopped: the request stays, so the dump may still come; try a longer "
                       "--wait\n");
  // The request, atomically in place: the label and a newline, nothing else left beside it.
  EXPECT_EQ(ReadFile(dumps + "/leakscope." + pid + ".trigger"), "batch 8\n");
  EXPECT_EQ(ListDir(dumps).size(), 1u);
}

}  // namespace
}  // namespace leakscope::testing
