// SPDX-License-Identifier: Apache-2.0
// `leakscope run -- CMD ARGS...`: runs a command with the recorder preloaded.
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "dump_file_names.h"

namespace leakscope::analyzer {
namespace {

constexpr char kRunHelp[] =
    "Usage: leakscope run [options] -- CMD [ARGS...]\n"
    "\n"
    "Runs CMD with libleakscope.so preloaded (prepended to any LD_PRELOAD) and says where its\n"
    "dumps go. Child processes are recorded too (LEAKSCOPE_FOLLOW_CHILDREN). Returns CMD's exit\n"
    "status (128+N when it is killed by signal N). LEAKSCOPE_* variables already set are kept\n"
    "unless an option overrides them.\n"
    "\n"
    "Dumps: DIR/leakscope.<pid>.<seq>.dump, one series per process (children have their own\n"
    "pid), seq counting from 0: one every --interval, one when DIR/leakscope.<pid>.trigger\n"
    "appears (touch it; checked once a second), and always one at exit. Each is written to a\n"
    "temporary name and renamed, mode 0600. A process that exec()s keeps its pid: the new\n"
    "image numbers its dumps on after those already in DIR, under a new recorder instance id,\n"
    "which `trend` tells apart.\n"
    "Analyse them with `leakscope trend DIR` (or `report` one dump).\n"
    "\n"
    "When CMD is a JVM (named java: on PATH or a path to it), -agentpath:LIB is inserted\n"
    "right after it, so the same library also runs as a JVMTI agent and stacks get Java frames\n"
    "(class, method, line). An argument rather than JAVA_TOOL_OPTIONS, which makes the JVM\n"
    "print \"Picked up JAVA_TOOL_OPTIONS\" on stderr. A JVM started by a script (spark-submit,\n"
    "a launcher) gets no agent this way: pass -agentpath:LIB in its JVM options yourself. Not\n"
    "added when the command already has -agentpath:...libleakscope....\n"
    "\n"
    "Options:\n";

std::string DefaultDumpDir() {
  if (const char* dir = getenv("LEAKSCOPE_DIR"); dir != nullptr && *dir != '\0') return dir;
  if (const char* dirs = getenv("LOG_DIRS"); dirs != nullptr && *dirs != '\0') {
    std::vector<std::string> parts = absl::StrSplit(dirs, ',', absl::SkipEmpty());
    if (!parts.empty()) return parts[0];
  }
  return dump_files::DefaultDumpDirectory(geteuid());  // the recorder's default, $TMPDIR too
}

pid_t g_child = 0;

void ForwardSignal(int sig) {
  if (g_child > 0) kill(g_child, sig);
}

size_t CountDumps(const std::string& dir, pid_t pid) {
  size_t count = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    int dump_pid;
    uint64_t seq;
    std::string name = entry.path().filename().string();
    if (dump_files::ParseDumpName(name.c_str(), &dump_pid, &seq) && dump_pid == pid) ++count;
  }
  return count;
}

// Where the recorder put the child's dumps: `dir` itself, or, when `dir` is not ours alone (a
// shared or world-writable directory), the private subdirectory it made there,
// leakscope-<uid> or leakscope-<uid>-XXXXXX (docs/dump-format.md, "Files").
std::string DumpsDirectoryOf(const std::string& dir, pid_t pid, size_t* count) {
  *count = CountDumps(dir, pid);
  if (*count != 0) return dir;
  std::string mine = dump_files::PrivateDirectoryName(geteuid());
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name != mine && !name.starts_with(mine + "-")) continue;
    if (size_t n = CountDumps(entry.path().string(), pid); n != 0) {
      *count = n;
      return entry.path().string();
    }
  }
  return dir;
}

// A JVM launcher: `java` found on PATH, or a path to one (/usr/lib/jvm/.../bin/java).
bool IsJavaCommand(const std::string& command) {
  return std::filesystem::path(command).filename() == "java";
}

// The command line loads the recorder as an agent already (a second copy would not help).
bool HasRecorderAgent(const std::vector<std::string>& command) {
  for (const std::string& arg : command) {
    if (arg.starts_with("-agentpath:") && arg.find("libleakscope") != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

int RunCommand(const std::vector<std::string>& args, const std::string& self_exe) {
  std::vector<OptionSpec> specs = {
      {"dir", 0, true, "DIR",
       "where dumps go (default: $LEAKSCOPE_DIR, else the first of $LOG_DIRS, else "
       "/tmp/leakscope-<uid>); created if missing"},
      RecorderIntervalOption(" (touch DIR/leakscope.<pid>.trigger)"),
      RecorderSampleBytesOption(""),
      {"lib", 0, true, "PATH",
       "the recorder library (default: ../lib/libleakscope.so from this leakscope binary, as in "
       "the build tree, an install and the release tarball; else libleakscope.so beside it)"},
      {"no-java-frames", 0, false, "", "do not add -agentpath to a java command"},
      HelpOption()};
  ArgParser parser(std::move(specs));
  if (auto done = ParseCommandLine("run", args, kRunHelp, 26, &parser)) return *done;
  std::string error;
  if (!parser.positional().empty()) {
    return UsageError("run", absl::StrCat("put the command after '--': leakscope run [options] -- ",
                                          parser.positional()[0], " ..."));
  }
  if (parser.rest().empty()) return UsageError("run", "missing the command to run after '--'");
  auto interval = parser.Value("interval");
  if (interval && !CheckRecorderInterval(*interval, &error)) return UsageError("run", error);
  auto sample_bytes = parser.Value("sample-bytes");
  if (sample_bytes && !CheckRecorderSampleBytes(*sample_bytes, &error)) {
    return UsageError("run", error);
  }

  std::string lib = parser.Value("lib").value_or("");
  std::error_code ec;
  std::string lib_abs;
  if (lib.empty()) {
    lib_abs = FindRecorderLibrary(self_exe, &error);
    if (lib_abs.empty()) {
      fprintf(stderr, "leakscope run: %s\n", error.c_str());
      return kExitUsage;
    }
  } else {
    lib_abs = std::filesystem::absolute(lib, ec).lexically_normal().string();
    if (ec || access(lib_abs.c_str(), R_OK) != 0) {
      fprintf(stderr, "leakscope run: cannot read the recorder library %s given by --lib\n",
              lib.c_str());
      return kExitUsage;
    }
  }

  std::string dir = parser.Value("dir").value_or(DefaultDumpDir());
  dir = std::filesystem::absolute(dir, ec).lexically_normal().string();
  // Made 0700 (its parents as usual), not with the umask's mode: the recorder checks it as it
  // checks its own default (owner, mode, no symlink) and keeps to a private subdirectory of it
  // when it is shared.
  if (!ec) std::filesystem::create_directories(std::filesystem::path(dir).parent_path(), ec);
  if (!ec && mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    ec = std::error_code(errno, std::generic_category());
  }
  if (ec) {
    fprintf(stderr, "leakscope run: cannot create the dump directory %s: %s\n", dir.c_str(),
            ec.message().c_str());
    return kExitUsage;
  }

  std::string preload = lib_abs;
  if (const char* old = getenv("LD_PRELOAD"); old != nullptr && *old != '\0') {
    preload = absl::StrCat(lib_abs, ":", old);
  }
  setenv("LD_PRELOAD", preload.c_str(), 1);
  setenv("LEAKSCOPE_DIR", dir.c_str(), 1);
  if (interval) setenv("LEAKSCOPE_INTERVAL", interval->c_str(), 1);
  if (sample_bytes) setenv("LEAKSCOPE_SAMPLE_BYTES", sample_bytes->c_str(), 1);

  std::vector<std::string> command = parser.rest();
  bool agent =
      IsJavaCommand(command[0]) && !parser.Has("no-java-frames") && !HasRecorderAgent(command);
  if (agent) command.insert(command.begin() + 1, absl::StrCat("-agentpath:", lib_abs));
  fprintf(stderr, "leakscope: recording %s%s; dumps go to %s/leakscope.<pid>.<seq>.dump\n",
          command[0].c_str(), agent ? " with Java frames (-agentpath)" : "", dir.c_str());
  fflush(stderr);

  std::vector<char*> argv;
  for (const std::string& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  // Like system(): the terminal's SIGINT/SIGQUIT reach the child directly; we outlive it to
  // report its status. SIGTERM and SIGHUP sent to us are passed on.
  struct sigaction ignore {
  }, forward{}, old_int{}, old_quit{};
  ignore.sa_handler = SIG_IGN;
  forward.sa_handler = ForwardSignal;
  sigaction(SIGINT, &ignore, &old_int);
  sigaction(SIGQUIT, &ignore, &old_quit);
  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "leakscope run: fork: %s\n", strerror(errno));
    return kExitFailure;
  }
  if (child == 0) {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGQUIT, &old_quit, nullptr);
    execvp(argv[0], argv.data());
    int err = errno;
    fprintf(stderr, "leakscope run: %s: %s\n", argv[0], strerror(err));
    _exit(err == ENOENT ? 127 : 126);
  }
  g_child = child;
  sigaction(SIGTERM, &forward, nullptr);
  sigaction(SIGHUP, &forward, nullptr);
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      fprintf(stderr, "leakscope run: waitpid: %s\n", strerror(errno));
      return kExitFailure;
    }
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  size_t dumps = 0;
  std::string found = DumpsDirectoryOf(dir, child, &dumps);
  fprintf(stderr, "leakscope: %s exited with status %d; %zu dump%s of pid %d in %s\n",
          command[0].c_str(), code, dumps, dumps == 1 ? "" : "s", child, found.c_str());
  fprintf(stderr, "leakscope: analyse with: leakscope trend %s\n", found.c_str());
  return code;
}

}  // namespace leakscope::analyzer
