// SPDX-License-Identifier: Apache-2.0
// `leakscope attach PID`: loads the recorder into a running HotSpot JVM as a JVMTI agent
// (Agent_OnAttach), through the JVM's attach socket; `--stop` asks an attached recorder to stop.
// Every refusal is one message and leaves the target as it was: the checks that can be made
// from /proc come before anything is sent, created or signalled.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent_codes.h"
#include "attach/attach_protocol.h"
#include "attach/library_placement.h"
#include "attach/target_process.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "control/status_lookup.h"
#include "control/target_process.h"
#include "core/options.h"
#include "output/text_escape.h"
#include "output/units.h"

namespace leakscope::analyzer {
namespace agent = leakscope::agent;
namespace {

// How long the JVM gets to open its socket after SIGQUIT, and to answer `load` (which includes
// the agent's start). Generous: a JVM in a long GC pause or on a loaded node answers late, and
// giving up early leaves the work half done.
constexpr int kListenerTimeoutMs = 10'000;
constexpr int kReplyTimeoutMs = 60'000;
// How long a second attach waits for a just-started recorder's status file, and how often it looks.
constexpr int kStatusWaitMs = 3'000;
constexpr int kStatusPollMs = 100;
// How long a JVM that answers before its live phase (JDK 21+ refuses a load then) is asked again.
constexpr int kLivePhaseWaitMs = 10'000;

constexpr char kAttachHelp[] =
    "Usage: leakscope attach PID [options]\n"
    "\n"
    "Starts recording in a running HotSpot JVM (OpenJDK 8 and later) that was started without\n"
    "any leakscope setting: loads libleakscope.so into it as a JVMTI agent through the JVM's\n"
    "attach mechanism, which leakscope speaks itself (no JDK tools needed on the node). A JVM\n"
    "in a container is reached through /proc/PID/root with its own pid; run as the JVM's user\n"
    "or as root (root acts as the JVM's user). Options not given follow the JVM's own\n"
    "LEAKSCOPE_* variables, else the defaults. Dumps: DIR/leakscope.<pid>.<seq>.dump, as under\n"
    "`leakscope run`; analyse them with `leakscope trend DIR`.\n"
    "\n"
    "Attaching again to a JVM that records says where its dumps go and changes nothing.\n"
    "Refused, with one message and nothing changed in the JVM: a process that is not a HotSpot\n"
    "JVM, a JVM started with -XX:+DisableAttachMechanism, a JVM that neither listens for\n"
    "attaching nor handles SIGQUIT (-Xrs), another user's JVM, a JVM that refuses the load.\n"
    "JDK 21 and later print a warning on their stderr when an agent is loaded this way (JEP\n"
    "451); -XX:+EnableDynamicAgentLoading on the JVM's command line silences it.\n"
    "\n"
    "Exit status: 0 attached (or already recording, or stopped), 1 refused or failed, 2 bad\n"
    "command line.\n"
    "\n"
    "Options:\n";

// A --dir value as the JVM gets it: absolute (a relative one is taken from our directory).
// Commas separate the agent's options, and HotSpot takes at most 1024 bytes.
bool CheckDir(const std::string& value, std::string* dir, std::string* error) {
  if (value.empty()) {
    *error = "--dir needs a directory";
    return false;
  }
  if (value.find(',') != std::string::npos) {
    *error =
        absl::StrCat("--dir cannot contain ',' (it separates the agent's options): '", value, "'");
    return false;
  }
  std::error_code ec;
  *dir = std::filesystem::absolute(value, ec).lexically_normal().string();
  if (ec) *dir = value;
  while (dir->size() > 1 && dir->back() == '/') dir->pop_back();
  return true;
}

// The mapped recorder's path as the JVM sees it: the maps path, when the same file is there
// through the JVM's root.
std::string RecorderPathInTarget(const attach::TargetProcess& target) {
  const attach::MappedFile& mapped = *target.recorder;
  struct stat st;
  if (stat(target.Reach(mapped.path).c_str(), &st) == 0 && st.st_ino == mapped.inode &&
      major(st.st_dev) == mapped.dev_major && minor(st.st_dev) == mapped.dev_minor) {
    return mapped.path;
  }
  return "";
}

// The recorder's defaults, from its option table, for --help and messages.
std::string DefaultIntervalText() {
  return absl::StrCat(HumanAge(recorder::Options().interval_ns / 1'000'000'000), " (the default)");
}
std::string DefaultSampleBytesText() { return HumanBytes(recorder::Options().sample_bytes); }

// "D" in "dumps go to D every T": the option, else what the JVM's environment says.
std::string DirText(const std::optional<std::string>& dir, const attach::TargetProcess& target) {
  if (dir) return *dir;
  if (auto env = target.Env("LEAKSCOPE_DIR"); env && !env->empty()) {
    return absl::StrCat(*env, " (its LEAKSCOPE_DIR)");
  }
  if (auto env = target.Env("LOG_DIRS"); env && !env->empty()) {
    return absl::StrCat(env->substr(0, env->find(',')), " (the first of its LOG_DIRS)");
  }
  return "the JVM user's default directory";
}

std::string IntervalText(const std::optional<std::string>& interval,
                         const attach::TargetProcess& target) {
  if (interval) return *interval;
  std::string error;
  if (auto env = target.Env("LEAKSCOPE_INTERVAL"); env && CheckRecorderInterval(*env, &error)) {
    return absl::StrCat(*env, " (its LEAKSCOPE_INTERVAL)");
  }
  return DefaultIntervalText();
}

// Messages hold text the target chose (its name, paths, the JVM's reply, its environment):
// escaped as every text output is (output/text_escape.h), so none can drive the terminal.
int Fail(const std::string& message) {
  fprintf(stderr, "leakscope attach: %s\n", EscapeText(message).c_str());
  return kExitFailure;
}

void Say(const std::string& message) { printf("%s\n", EscapeText(message).c_str()); }

// What the agent's non-zero answer means (common/agent_codes.h): the JVM loaded the library and
// its Agent_OnAttach refused.
std::string AgentRefusal(int code, int pid, const std::string& library) {
  switch (code) {
    case agent::kNotRecording:
      return absl::StrCat("process ", pid, " was not recording: nothing to stop");
    case agent::kAlreadyRecording:
      return absl::StrCat("process ", pid, " is already recording; nothing changed");
    case agent::kBadOptions:
      return absl::StrCat("the recorder in process ", pid,
                          " refused the options; its stderr says which; nothing started");
    case agent::kRecorderOff:
      return absl::StrCat("the recorder in process ", pid,
                          " is off there (LEAKSCOPE_DISABLE or LEAKSCOPE_PROCESS in its "
                          "environment, or no memory for its tables); nothing started");
    case agent::kStopped:
      return absl::StrCat("process ", pid,
                          " was recording and was stopped; it does not start again");
    case agent::kVmEnding:
      return absl::StrCat("the JVM of process ", pid, " is shutting down; nothing started");
    default:
      return absl::StrCat("the JVM loaded ", library, " but its Agent_OnAttach returned ", code,
                          "; the JVM's stderr has the leakscope: message");
  }
}

}  // namespace

int AttachCommand(const std::vector<std::string>& args, const std::string& self_exe) {
  std::vector<OptionSpec> specs = {
      {"dir", 0, true, "DIR",
       "where dumps go, a path as the JVM sees it (in its container); its user must be able to "
       "create or write it (default: the JVM's LEAKSCOPE_DIR, else the first of its LOG_DIRS, "
       "else <its $TMPDIR or /tmp>/leakscope-<its uid>); no ','"},
      RecorderIntervalOption(absl::StrCat(" (default: the JVM's LEAKSCOPE_INTERVAL, else ",
                                          HumanAge(recorder::Options().interval_ns / 1'000'000'000),
                                          ")")),
      RecorderSampleBytesOption(absl::StrCat(" (default: the JVM's LEAKSCOPE_SAMPLE_BYTES, else ",
                                             DefaultSampleBytesText(), ")")),
      {"stop", 0, false, "",
       "stop recording in a JVM leakscope records: hooks pass calls straight through and a final "
       "dump is written"},
      {"lib", 0, true, "PATH",
       "the recorder library (default: ../lib/libleakscope.so from this leakscope binary, else "
       "libleakscope.so beside it); copied into the JVM's filesystem when the JVM cannot open it "
       "where it is"},
      HelpOption()};
  ArgParser parser(std::move(specs));
  if (auto done = ParseCommandLine("attach", args, kAttachHelp, 26, &parser)) return *done;
  std::string error;
  if (parser.positional().size() != 1 || !parser.rest().empty()) {
    return UsageError("attach", "needs exactly one PID: leakscope attach PID [options]");
  }
  pid_t pid = 0;
  if (!absl::SimpleAtoi(parser.positional()[0], &pid) || pid <= 0 ||
      !absl::ascii_isdigit(parser.positional()[0][0])) {
    return UsageError("attach",
                      absl::StrCat("PID must be a process id, not '", parser.positional()[0], "'"));
  }
  const bool stop = parser.Has("stop");
  auto dir_option = parser.Value("dir");
  auto interval = parser.Value("interval");
  auto sample_bytes = parser.Value("sample-bytes");
  if (stop && (dir_option || interval || sample_bytes || parser.Has("lib"))) {
    return UsageError("attach", "--stop takes no --dir, --interval, --sample-bytes or --lib");
  }
  std::optional<std::string> dir;
  if (dir_option) {
    dir.emplace();
    if (!CheckDir(*dir_option, &*dir, &error)) return UsageError("attach", error);
  }
  if (interval && !CheckRecorderInterval(*interval, &error)) return UsageError("attach", error);
  if (sample_bytes && !CheckRecorderSampleBytes(*sample_bytes, &error)) {
    return UsageError("attach", error);
  }
  // The agent's options: what Agent_OnAttach receives.
  std::vector<std::string> agent_options;
  if (stop) agent_options.push_back("stop");
  if (dir) agent_options.push_back(absl::StrCat("dir=", *dir));
  if (interval) agent_options.push_back(absl::StrCat("interval=", *interval));
  if (sample_bytes) agent_options.push_back(absl::StrCat("sample_bytes=", *sample_bytes));
  const std::string options = absl::StrJoin(agent_options, ",");
  if (options.size() > attach::kMaxArgumentLength) {
    return UsageError("attach",
                      absl::StrCat("the options come to ", options.size(),
                                   " bytes; the JVM takes at most ", attach::kMaxArgumentLength));
  }

  // Our library, opened while we may still be root: the JVM's user may not be able to read it.
  std::string library;
  int library_fd = -1;
  if (!stop) {
    if (auto lib = parser.Value("lib")) {
      std::error_code ec;
      library = std::filesystem::absolute(*lib, ec).lexically_normal().string();
    } else {
      library = FindRecorderLibrary(self_exe, &error);
      if (library.empty()) return Fail(error);
    }
    library_fd = open(library.c_str(), O_RDONLY | O_CLOEXEC);
    if (library_fd < 0) {
      return Fail(
          absl::StrCat("cannot read the recorder library ", library, ": ", strerror(errno)));
    }
  }
  struct Closer {
    int fd;
    ~Closer() {
      if (fd >= 0) close(fd);
    }
  } closer{library_fd};

  attach::TargetProcess target;
  if (!attach::InspectTarget(pid, &target, &error)) return Fail(error);
  if (!target.hotspot) {
    return Fail(absl::StrCat("process ", pid, " (", target.status.name,
                             ") is not a HotSpot JVM: no libjvm.so is mapped in it; nothing done"));
  }
  // A stopped JVM would act on SIGQUIT only once continued, long after we removed the attach
  // file: with a thread dump on its stdout.
  if (target.status.state == 'T' || target.status.state == 't') {
    return Fail(absl::StrCat("process ", pid, " is stopped (State ",
                             std::string(1, target.status.state),
                             "); continue it first; nothing done"));
  }
  if (target.recorder && !stop) {
    // Where: the recorder's status file, found as `leakscope dump` finds it.
    std::string where =
        absl::StrCat("dump directory unknown (no status file of pid ", target.status.nspid, ")");
    std::string via;
    analyzer::TargetProcess process;  // as `leakscope dump` reads it (control/)
    StatusFound found;
    std::string lookup_error;
    // A recorder started moments ago (an attach that just returned) writes its status file from
    // its dumper thread, shortly after: wait for it a little before saying where is unknown.
    bool have_status = false;
    for (int waited_ms = 0; !have_status; waited_ms += kStatusPollMs) {
      have_status = ReadTargetProcess(pid, &process, &lookup_error) == TargetError::kNone &&
                    FindStatusFile(process, &found, &lookup_error) == StatusLookup::kFound;
      if (have_status || waited_ms >= kStatusWaitMs) break;
      attach::SleepMs(kStatusPollMs);
    }
    if (have_status) {
      where = absl::StrCat("dumps go to ", found.status.dir);
      if (!found.status.via.empty()) via = absl::StrCat(" (", found.status.via, ")");
    }
    Say(absl::StrCat("process ", pid, " is already recording", via, ": ", where,
                     "; nothing changed"));
    return kExitOk;
  }
  if (!target.recorder && stop) {
    return Fail(absl::StrCat("leakscope is not loaded in process ", pid, ": nothing to stop"));
  }
  if (stop) {
    library = RecorderPathInTarget(target);
    if (library.empty()) {
      return Fail(absl::StrCat("cannot find ", target.recorder->path, " in process ", pid,
                               "'s filesystem; nothing done"));
    }
  }

  if (!attach::ActAsTargetUser(target, &error)) return Fail(error);
  const bool listening = attach::AttachSocketReady(target, &error);
  if (!error.empty()) return Fail(error);
  if (!listening) {
    if (auto where = attach::AttachDisabledBy(target.cmdline, target.environ)) {
      return Fail(absl::StrCat("process ", pid,
                               " was started with -XX:+DisableAttachMechanism (in ", *where,
                               "): it accepts no agent while it runs; nothing done"));
    }
    if (!target.catches_sigquit()) {
      return Fail(absl::StrCat(
          "process ", pid,
          " is not listening for attaching and does not handle SIGQUIT (started with -Xrs, still "
          "starting, or with SIGQUIT ignored): the signal would end it; nothing done"));
    }
  }
  // The library's place first: a failure there must not leave a JVM signalled for nothing.
  if (!stop) {
    library = attach::PlaceLibrary(library_fd, library, target, &error);
    if (library.empty()) return Fail(error);
  }
  if (library.size() > attach::kMaxArgumentLength) {
    return Fail(absl::StrCat("the library path ", library, " is longer than the JVM takes (",
                             attach::kMaxArgumentLength, " bytes); pass --lib"));
  }
  if (!listening && !attach::StartAttachListener(target, kListenerTimeoutMs, &error)) {
    return Fail(error);
  }

  attach::LoadReply load;
  if (!attach::LoadWhenLive(target.pid, attach::AttachSocketPath(target), library, options,
                            kReplyTimeoutMs, kLivePhaseWaitMs, &load, &error)) {
    return Fail(error);
  }
  if (!load.loaded && load.not_live_phase) {
    return Fail(absl::StrCat("the JVM refused to load ", library, ": ", load.message, " (for ",
                             kLivePhaseWaitMs / 1000,
                             " s: it is starting very slowly or shutting down); nothing done"));
  }
  if (!load.loaded) {
    return Fail(absl::StrCat("the JVM refused to load ", library, ": ", load.message));
  }
  if (load.agent_code != agent::kOk) return Fail(AgentRefusal(load.agent_code, pid, library));
  if (stop) {
    Say(absl::StrCat("asked process ", pid,
                     " to stop recording: its recorder writes a final dump"));
  } else {
    Say(absl::StrCat("attached to ", pid, ": dumps go to ", DirText(dir, target), " every ",
                     IntervalText(interval, target)));
  }
  return kExitOk;
}

}  // namespace leakscope::analyzer
