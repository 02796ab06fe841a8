// Scenarios about the files and directories the recorder writes (issue 13, items 1-8): private
// directories in shared places, triggers it cannot remove, relative and deleted directories,
// another user taking the default name, stale temporaries, the dump cap, fsync.
//
// Where another user matters, the tests run as two: the recorder runs as `lsprobe` while files
// are planted as `lsother` (both created here when missing). That needs root; without it those
// tests are skipped with a message.
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "scenario_fixture.h"

namespace leakscope::testing {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Lines of `text` that contain `part`.
size_t CountLines(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (const std::string& line : Lines(text)) n += line.find(part) != std::string::npos;
  return n;
}

struct User {
  uid_t uid = 0;
  gid_t gid = 0;
};

// An ordinary system user without a home, created once (useradd -M -r) if missing.
bool EnsureUser(const char* name, User* user) {
  if (getpwnam(name) == nullptr) {
    RunOptions options;
    options.args = {"-M", "-r", "-s", "/usr/sbin/nologin", name};
    // Another test may have created it meanwhile (useradd then fails): look again either way.
    RunProgram("/usr/sbin/useradd", options);
  }
  const passwd* pw = getpwnam(name);
  if (pw == nullptr) return false;
  user->uid = pw->pw_uid;
  user->gid = pw->pw_gid;
  return true;
}

// Two users and a place both can reach: a 0755 root directory holding copies of the preload and
// of the programs (the build tree may not be traversable by them), and a sticky world-writable
// directory like /tmp.
class TwoUsers : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root, to run the recorder as two ordinary users";
    if (access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "needs setpriv (util-linux)";
    ASSERT_TRUE(EnsureUser("lsprobe", &probe_)) << "cannot create user lsprobe";
    ASSERT_TRUE(EnsureUser("lsother", &other_)) << "cannot create user lsother";
    ASSERT_EQ(chmod(root_.path().c_str(), 0755), 0);
    ASSERT_EQ(mkdir(root_.Sub("bin").c_str(), 0755), 0);
    ASSERT_EQ(mkdir(shared().c_str(), 0777), 0);
    ASSERT_EQ(chmod(shared().c_str(), 01777), 0);
    Copy(kPreload, bin("libleakscope.so"));
    for (const char* program : {"leak_known_sizes", "dir_games"})
      Copy(Program(program), bin(program));
  }

  std::string shared() const { return root_.Sub("shared"); }
  std::string bin(const std::string& name) const { return root_.Sub("bin/" + name); }

  static void Copy(const std::string& from, const std::string& to) {
    std::ifstream in(from, std::ios::binary);
    std::ofstream out(to, std::ios::binary);
    out << in.rdbuf();
    out.close();
    ASSERT_TRUE(in && out) << "cannot copy " << from;
    ASSERT_EQ(chmod(to.c_str(), 0755), 0);
  }

  // "setpriv ... as <user>" for a shell command line.
  static std::string As(const User& user) {
    return "/usr/bin/setpriv --reuid=" + std::to_string(user.uid) +
           " --regid=" + std::to_string(user.gid) + " --clear-groups ";
  }

  // Runs the copy of `program` as lsprobe under the preload, with `env` (LEAKSCOPE_SAMPLE_BYTES=1
  // and LEAKSCOPE_INTERVAL=0 unless set). First `plant` runs in sh as root, where $$ is the pid
  // the program will have (the shell execs setpriv, which execs the program).
  RunResult RunAsProbe(const std::string& program, std::vector<std::string> args,
                       std::map<std::string, std::string> env, const std::string& plant = ":") {
    RunOptions options = Exact(std::move(args), std::move(env));
    options.preload.clear();  // only the program, not sh and setpriv
    options.env["LEAKSCOPE_TEST_PRELOAD"] = bin("libleakscope.so");
    options.prefix = {"/bin/sh", "-c",
                      plant + " && exec " + As(probe_) +
                          "/usr/bin/env LD_PRELOAD=\"$LEAKSCOPE_TEST_PRELOAD\" \"$0\" \"$@\""};
    return RunProgram(bin(program), options);
  }

  TempDir root_;
  User probe_, other_;
};

::testing::AssertionResult OwnedPrivate(const std::string& path, const User& owner, mode_t mode) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return ::testing::AssertionFailure() << path << " missing";
  if (st.st_uid != owner.uid || (st.st_mode & 07777) != mode) {
    return ::testing::AssertionFailure()
           << path << ": uid " << st.st_uid << ", mode " << std::oct << (st.st_mode & 07777);
  }
  return ::testing::AssertionSuccess();
}

// Item 1: another user pre-created our temporary name, mode 0666, in a shared sticky directory.
// The dump must go to our own private subdirectory instead, and the planted file stay empty.
TEST_F(TwoUsers, SharedDumpDirectoryGetsAPrivateSubdirectory) {
  std::string planted = shared() + "/.leakscope.$$.0.dump.tmp";
  RunResult run = RunAsProbe("leak_known_sizes", {}, {{"LEAKSCOPE_DIR", shared()}},
                             "umask 0 && " + As(other_) + "/bin/sh -c ': > \"$1\"' plant \"" +
                                 planted + "\" && " + As(other_) + "/bin/ln -s /etc/shadow \"" +
                                 shared() + "/leakscope.$$.0.dump\"");
  ASSERT_TRUE(CleanExit(run));
  std::string pid = std::to_string(run.pid);
  std::string mine = "leakscope-" + std::to_string(probe_.uid);
  EXPECT_EQ(ListDir(shared()), (std::vector<std::string>{".leakscope." + pid + ".0.dump.tmp", mine,
                                                         "leakscope." + pid + ".0.dump"}));
  struct stat st;
  ASSERT_EQ(lstat((shared() + "/.leakscope." + pid + ".0.dump.tmp").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 0) << "our dump went into the other user's file";
  EXPECT_EQ(st.st_uid, other_.uid);
  std::string dir = shared() + "/" + mine;
  EXPECT_TRUE(OwnedPrivate(dir, probe_, 0700));
  ASSERT_EQ(DumpsOf(dir, run.pid).size(), 1u) << ::testing::PrintToString(ListDir(dir));
  EXPECT_TRUE(OwnedPrivate(DumpsOf(dir, run.pid)[0].path, probe_, 0600));
  Dump dump;
  ASSERT_TRUE(LoadLastDump(dir, run.pid, &dump));
  ExpectKnownLeaks(SiteFinder(dump));
}

// Item 2, as two users: another user's trigger in the shared directory requests nothing (our
// trigger lives in our private subdirectory), and is not a dump every second.
TEST_F(TwoUsers, TriggerPlantedByAnotherUserIsNotADumpEverySecond) {
  RunResult run = RunAsProbe(
      "dir_games", {"sleep", "2500"}, {{"LEAKSCOPE_DIR", shared()}},
      As(other_) + "/bin/sh -c ': > \"$1\"' plant \"" + shared() + "/leakscope.$$.trigger\"");
  ASSERT_TRUE(CleanExit(run));
  std::string dir = shared() + "/leakscope-" + std::to_string(probe_.uid);
  EXPECT_EQ(DumpsOf(dir, run.pid).size(), 1u) << "only the exit dump";
  EXPECT_EQ(DumpsOf(shared(), run.pid).size(), 0u);
}

// Item 5: another user made <TMPDIR>/leakscope-<our uid> first. Dumps go to a mkdtemp directory
// beside it, and one warning says where.
TEST_F(TwoUsers, DefaultDirectoryTakenByAnotherUserFallsBackToAFreshPrivateOne) {
  std::string taken = shared() + "/leakscope-" + std::to_string(probe_.uid);
  RunResult run = RunAsProbe("leak_known_sizes", {}, {{"TMPDIR", shared()}},
                             As(other_) + "/bin/mkdir -m 0777 \"" + taken + "\"");
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(ListDir(taken), std::vector<std::string>{});
  std::vector<std::string> fresh;
  for (const std::string& name : ListDir(shared())) {
    if (name.rfind("leakscope-" + std::to_string(probe_.uid) + "-", 0) == 0) fresh.push_back(name);
  }
  ASSERT_EQ(fresh.size(), 1u) << ::testing::PrintToString(ListDir(shared()));
  std::string dir = shared() + "/" + fresh[0];
  EXPECT_TRUE(OwnedPrivate(dir, probe_, 0700));
  std::vector<std::string> lines = Lines(run.err);
  ASSERT_EQ(lines.size(), 1u) << run.err;
  EXPECT_EQ(lines[0].rfind("leakscope:", 0), 0u) << run.err;
  EXPECT_NE(lines[0].find(dir), std::string::npos) << "the warning should say where: " << run.err;
  Dump dump;
  ASSERT_TRUE(LoadLastDump(dir, run.pid, &dump));
  ExpectKnownLeaks(SiteFinder(dump));

  // The next process of ours uses the same fallback rather than a new directory per process.
  RunResult again = RunAsProbe("leak_known_sizes", {}, {{"TMPDIR", shared()}});
  EXPECT_NE(again.err.find(dir), std::string::npos) << again.err;
  EXPECT_EQ(DumpsOf(dir, again.pid).size(), 1u);
}

// A pid that existed and no longer does (it may be reused later, but not within this test).
pid_t DeadPid() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

void Plant(const std::string& path, const User& owner, int64_t age_seconds) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(write(fd, "partial", 7), 7);
  ASSERT_EQ(fchown(fd, owner.uid, owner.gid), 0);
  timespec times[2];
  clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= age_seconds;
  times[1] = times[0];
  ASSERT_EQ(futimens(fd, times), 0);
  close(fd);
}

// Item 6: temporaries left by killed recorders of ours are removed at start; those of another
// user, of a live pid, and fresh ones (perhaps being written) are not.
TEST_F(TwoUsers, StaleTemporariesOfOurDeadProcessesAreRemovedAtStart) {
  std::string dir = root_.Sub("dumps");
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(chown(dir.c_str(), probe_.uid, probe_.gid), 0);
  std::string dead = std::to_string(DeadPid());
  std::string live = std::to_string(getpid());  // alive, and not lsprobe's: kill says EPERM
  auto temp = [&](const std::string& pid, int seq) {
    return ".leakscope." + pid + "." + std::to_string(seq) + ".dump.tmp";
  };
  Plant(dir + "/" + temp(dead, 0), probe_, 3600);       // ours, dead, an hour old: removed
  Plant(dir + "/" + temp(dead, 1), other_, 3600);       // another user's: kept
  Plant(dir + "/" + temp(dead, 2), probe_, 5);          // seconds old: kept
  Plant(dir + "/" + temp(live, 3), probe_, 3600);       // a live pid: kept
  Plant(dir + "/" + temp(live, 4), probe_, 3 * 86400);  // live but days old (reused): removed
  Plant(dir + "/leakscope." + dead + ".0.dump", probe_, 3600);  // a dump, not a temporary
  // The recorder's own pid (an earlier image, exec keeps the pid): two minutes old, removed; a
  // fresh one, kept (a recorder of the same number in another pid namespace may be writing it).
  std::string own = dir + "/.leakscope.$$.";
  std::string owner = std::to_string(probe_.uid) + ":" + std::to_string(probe_.gid);
  std::string plant = ": > \"" + own + "5.dump.tmp\" && : > \"" + own + "6.dump.tmp\" && chown " +
                      owner + " \"" + own + "5.dump.tmp\" \"" + own + "6.dump.tmp\" && touch -d @" +
                      std::to_string(time(nullptr) - 120) + " \"" + own + "5.dump.tmp\"";
  RunResult run = RunAsProbe("leak_known_sizes", {}, {{"LEAKSCOPE_DIR", dir}}, plant);
  ASSERT_TRUE(CleanExit(run));
  std::string self = std::to_string(run.pid);
  std::vector<std::string> expected = {temp(dead, 1),
                                       temp(dead, 2),
                                       temp(live, 3),
                                       temp(self, 6),
                                       "leakscope." + dead + ".0.dump",
                                       "leakscope." + self + ".0.dump"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ListDir(dir), expected);
}

// Item 2: a trigger we cannot remove (a directory at its name) is ignored with one warning, not
// honoured every second.
TEST(DumpDirScenario, TriggerThatCannotBeRemovedIsIgnoredWithOneWarning) {
  TempDir dir;
  RunResult run = RunIn(dir, Program("dir_games"), Exact({"trigger-dir", dir.path(), "3500"}));
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(DumpsOf(dir.path(), run.pid).size(), 1u) << "only the exit dump";
  std::vector<std::string> lines = Lines(run.err);
  ASSERT_EQ(lines.size(), 1u) << run.err;
  EXPECT_EQ(lines[0].rfind("leakscope: ignoring trigger " + dir.path() + "/leakscope." +
                               std::to_string(run.pid) + ".trigger",
                           0),
            0u)
      << run.err;
}

// A directory the recorder makes is 0700 whatever the umask (0277 would make it 0500: not even
// ours to write), and the dump in it 0600.
TEST(DumpDirScenario, DirectoryItMakesIs0700UnderAnyUmask) {
  for (mode_t mask : {mode_t{0277}, mode_t{0}}) {
    SCOPED_TRACE("umask " + std::to_string(mask));
    TempDir root;
    std::string dir = root.Sub("made");
    RunOptions options = Exact({}, {{"LEAKSCOPE_DIR", dir}});
    options.umask = mask;
    RunResult run = RunProgram(Program("leak_known_sizes"), options);
    ASSERT_TRUE(CleanExit(run));
    struct stat st;
    ASSERT_EQ(lstat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    std::vector<DumpFile> dumps = DumpsOf(dir, run.pid);
    ASSERT_EQ(dumps.size(), 1u);
    ASSERT_EQ(lstat(dumps[0].path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
  }
}

// Item 3: a relative LEAKSCOPE_DIR is resolved at start; the program's chdir does not move it.
TEST(DumpDirScenario, RelativeDirectoryIsResolvedOnceAtStart) {
  TempDir start, elsewhere;
  ASSERT_EQ(mkdir(start.Sub("dumps").c_str(), 0700), 0);
  RunOptions options = Exact({"chdir", elsewhere.path(), "600"},
                             {{"LEAKSCOPE_DIR", "dumps"}, {"LEAKSCOPE_INTERVAL", "100ms"}});
  options.preload.clear();
  options.env["LEAKSCOPE_TEST_PRELOAD"] = kPreload;
  options.env["LEAKSCOPE_TEST_CWD"] = start.path();
  options.prefix = {"/bin/sh", "-c",
                    "cd \"$LEAKSCOPE_TEST_CWD\" && "
                    "LD_PRELOAD=\"$LEAKSCOPE_TEST_PRELOAD\" exec \"$0\" \"$@\""};
  RunResult run = RunProgram(Program("dir_games"), options);
  ASSERT_TRUE(CleanExit(run));
  EXPECT_EQ(ListDir(elsewhere.path()), std::vector<std::string>{});
  std::vector<DumpFile> dumps = DumpsOf(start.Sub("dumps"), run.pid);
  ASSERT_GE(dumps.size(), 2u) << "periodic dumps after the chdir, and the exit dump";
  Dump last;
  ASSERT_TRUE(LoadDump(dumps.back().path, &last));
  EXPECT_EQ(Totals(SiteFinder(last).AllocatedIn("at_end")), "alloc 3/1500, free 0/0, live 3/1500");
}

// Item 4: a dump directory removed under the recorder (a /tmp cleaner) is made again, with one
// warning, and the later dumps and the exit dump land in it.
TEST(DumpDirScenario, DeletedDirectoryIsRecreated) {
  TempDir root;
  std::string dir = root.Sub("dumps");
  RunResult run = RunProgram(
      Program("dir_games"),
      Exact({"remove-dir", dir}, {{"LEAKSCOPE_DIR", dir}, {"LEAKSCOPE_INTERVAL", "400ms"}}));
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  std::vector<std::string> lines = Lines(run.err);
  ASSERT_EQ(lines.size(), 1u) << run.err;
  EXPECT_EQ(lines[0], "leakscope: dump directory " + dir + " had disappeared; made it again");
  struct stat st;
  ASSERT_EQ(lstat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  std::vector<DumpFile> dumps = DumpsOf(dir, run.pid);
  ASSERT_GE(dumps.size(), 1u) << "the exit dump, after any periodic ones";
  Dump last;
  ASSERT_TRUE(LoadDump(dumps.back().path, &last));
  EXPECT_EQ(Totals(SiteFinder(last).AllocatedIn("at_end")), "alloc 3/1500, free 0/0, live 3/1500");
}

// Item 4: a directory that stays unusable for five intervals gets one warning, not five, and is
// used again once it can be made.
TEST(DumpDirScenario, UnusableDirectoryWarnsOncePerProblem) {
  TempDir root;
  std::string dir = root.Sub("dumps");
  RunResult run = RunProgram(
      Program("dir_games"),
      Exact({"block-dir", dir}, {{"LEAKSCOPE_DIR", dir}, {"LEAKSCOPE_INTERVAL", "400ms"}}));
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(CountLines(run.err, "leakscope: cannot use dump directory " + dir), 1u) << run.err;
  EXPECT_EQ(CountLines(run.err, "leakscope: dump directory " + dir + " had disappeared"), 1u)
      << run.err;
  EXPECT_EQ(Lines(run.err).size(), 2u) << run.err;
  Dump last;
  ASSERT_TRUE(LoadLastDump(dir, run.pid, &last));
  EXPECT_EQ(Totals(SiteFinder(last).AllocatedIn("at_end")), "alloc 3/1500, free 0/0, live 3/1500");
}

// Item 7: LEAKSCOPE_MAX_DUMPS=3 over a run of ten or so dumps keeps the first, one between and
// the exit dump, whatever the exact number of periodic dumps.
TEST(DumpDirScenario, MaxDumpsKeepsTheFirstAndTheLastAndThinsTheMiddle) {
  TempDir dir;
  RunResult run = RunIn(dir, Program("periodic"),
                        Exact({}, {{"LEAKSCOPE_INTERVAL", "100ms"}, {"LEAKSCOPE_MAX_DUMPS", "3"}}));
  ASSERT_TRUE(CleanExit(run));
  std::vector<DumpFile> dumps = DumpsOf(dir.path(), run.pid);
  ASSERT_EQ(dumps.size(), 3u);
  EXPECT_EQ(ListDir(dir.path()).size(), 3u) << "no temporaries or other files left";
  Dump first, middle, last;
  ASSERT_TRUE(LoadDump(dumps[0].path, &first));
  ASSERT_TRUE(LoadDump(dumps[1].path, &middle));
  ASSERT_TRUE(LoadDump(dumps[2].path, &last));
  EXPECT_EQ(first.process.fixed.seq, 0u);
  EXPECT_GT(last.process.fixed.seq, 3u) << "the run should have written more than three";
  EXPECT_GT(middle.process.fixed.seq, 0u);
  EXPECT_LT(middle.process.fixed.seq, last.process.fixed.seq);
  // The last one is the exit dump: all eight blocks of `grow`.
  EXPECT_EQ(SiteFinder(last).AllocatedIn("grow").live_bytes, 8000u);
}

// `periodic` under the preload, with LEAKSCOPE_INTERVAL=100ms and its dump directory `dir` a
// tmpfs of `size` mounted in a private mount namespace (a disk that fills up); `then` is shell
// run after it, still inside the namespace. False when mount namespaces are not available.
bool RunOnSmallTmpfs(const TempDir& dir, const char* size, const std::string& then,
                     RunOptions options, RunResult* run) {
  RunOptions probe;
  probe.prefix = {"/usr/bin/unshare", "--mount"};
  if (geteuid() != 0 || access("/usr/bin/unshare", X_OK) != 0 ||
      RunProgram("/bin/true", probe).exit_code != 0) {
    return false;
  }
  options.preload.clear();  // only the final program, not unshare and sh
  options.env["LEAKSCOPE_INTERVAL"] = "100ms";
  options.env["LEAKSCOPE_DIR"] = dir.path();
  options.env["LEAKSCOPE_TEST_PRELOAD"] = kPreload;
  options.prefix = {"/usr/bin/unshare",
                    "--mount",
                    "--propagation",
                    "private",
                    "/bin/sh",
                    "-c",
                    std::string("mount -t tmpfs -o size=") + size +
                        ",mode=0700 tmpfs \"$LEAKSCOPE_DIR\" && "
                        "LD_PRELOAD=\"$LEAKSCOPE_TEST_PRELOAD\" \"$0\" \"$@\"; status=$?; " +
                        then + "exit $status"};
  *run = RunProgram(Program("periodic"), options);
  return true;
}

// A full disk: an older dump of ours gives way, so the exit dump (the state that matters most)
// is written. The dump directory is an 8 KiB tmpfs (two pages: two dumps of this program).
TEST(DumpDirScenario, FullDiskGivesUpAnOlderDumpForTheExitDump) {
  TempDir dir, copy;
  RunOptions options = Exact();
  options.env["LEAKSCOPE_TEST_COPY"] = copy.path();
  RunResult run;
  if (!RunOnSmallTmpfs(dir, "8k", "cp -p \"$LEAKSCOPE_DIR\"/* \"$LEAKSCOPE_TEST_COPY\"/; ", options,
                       &run)) {
    GTEST_SKIP() << "needs root and mount namespaces, to mount a small tmpfs";
  }
  ASSERT_TRUE(CleanExit(run));
  std::vector<DumpFile> dumps = ListDumps(copy.path());
  ASSERT_EQ(dumps.size(), 2u) << ::testing::PrintToString(ListDir(copy.path()));
  EXPECT_EQ(dumps.front().seq, 0u) << "the first dump stays";
  Dump last;
  ASSERT_TRUE(LoadDump(dumps.back().path, &last));
  EXPECT_GT(last.process.fixed.seq, 2u) << "the run should have written more than fit";
  EXPECT_EQ(SiteFinder(last).AllocatedIn("grow").live_bytes, 8000u) << "the exit dump";
}

// A disk too small for a second dump: the periodic dumps that fail are warned about once (the
// rate limit), but the exit dump's failure is always said, since nothing comes after it. A
// one-page tmpfs holds the first dump, which is never given up.
TEST(DumpDirScenario, AFailedExitDumpIsAlwaysWarnedAbout) {
  TempDir dir;
  RunResult run;
  if (!RunOnSmallTmpfs(dir, "4k", "", Exact(), &run)) {
    GTEST_SKIP() << "needs root and mount namespaces, to mount a small tmpfs";
  }
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  std::vector<std::string> lines = Lines(run.err);
  ASSERT_EQ(lines.size(), 2u) << run.err;
  EXPECT_EQ(CountLines(run.err, "leakscope: cannot write dump "), 2u) << run.err;
  EXPECT_NE(lines[0], lines[1]) << "two different dumps: a periodic one, then the exit dump";
  EXPECT_NE(lines[1].find("No space left on device"), std::string::npos) << lines[1];
}

// Item 8: the temporary is fsynced before the rename publishes it, and the directory after.
TEST(DumpDirScenario, DumpIsSyncedBeforeItsRenameAndTheDirectoryAfter) {
  if (access("/usr/bin/strace", X_OK) != 0) GTEST_SKIP() << "needs strace";
  TempDir dir, log_dir;
  std::string log = log_dir.Sub("strace.log");
  RunOptions options = Exact();
  options.preload.clear();  // the program only, through strace -E
  options.env["LEAKSCOPE_DIR"] = dir.path();
  options.prefix = {"/usr/bin/strace",
                    "-f",
                    "-qq",
                    "-y",
                    "-o",
                    log,
                    "-e",
                    "trace=fsync,fdatasync,rename,renameat,renameat2",
                    "-E",
                    "LD_PRELOAD=" + kPreload};
  RunResult run = RunProgram(Program("leak_known_sizes"), options);
  if (run.exit_code != 0 && run.err.find("ptrace") != std::string::npos) {
    GTEST_SKIP() << "strace cannot trace here: " << run.err;
  }
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  std::vector<DumpFile> dumps = ListDumps(dir.path());
  ASSERT_EQ(dumps.size(), 1u);
  std::string temp = dir.path() + "/.leakscope." + std::to_string(dumps[0].pid) + ".0.dump.tmp";
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> lines = Lines(text.str());
  auto find = [&](const std::string& a, const std::string& b) {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].find(a) != std::string::npos && lines[i].find(b) != std::string::npos) return i;
    }
    return lines.size();
  };
  size_t file_sync = find("fsync(", "<" + temp + ">) = 0");
  size_t rename = find("rename", "\"" + temp + "\"");
  size_t dir_sync = find("fsync(", "<" + dir.path() + ">) = 0");
  ASSERT_LT(file_sync, lines.size()) << "no fsync of the temporary:\n" << text.str();
  ASSERT_LT(rename, lines.size()) << "no rename:\n" << text.str();
  ASSERT_LT(dir_sync, lines.size()) << "no fsync of the directory:\n" << text.str();
  EXPECT_LT(file_sync, rename);
  EXPECT_GT(dir_sync, rename);
}

}  // namespace
}  // namespace leakscope::testing
// SPDX-License-Identifier: Apache-2.0
