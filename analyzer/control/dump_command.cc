// SPDX-License-Identifier: Apache-2.0
// `leakscope dump PID [--label TEXT] [--wait SECONDS]`: asks a recording process for a dump now.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "control/dump_request.h"
#include "control/status_lookup.h"
#include "control/target_process.h"
#include "dump_label.h"

namespace leakscope::analyzer {
namespace {

constexpr char kDumpHelp[] =
    "Usage: leakscope dump PID [--label TEXT] [--wait SECONDS]\n"
    "\n"
    "Asks process PID, recording with leakscope (preloaded or attached), for a dump now, waits\n"
    "until it is written and prints its path. The process is found through its status file,\n"
    "$TMPDIR/leakscope-<uid>/leakscope.<pid>.status (TMPDIR as the process has it, else /tmp),\n"
    "which says where it writes dumps, whatever LEAKSCOPE_DIR says. A process in a container is\n"
    "reached through /proc/PID/root, and PID is the pid as seen here.\n"
    "\n"
    "Run it as the process' user or as root. Exit status: 0 the dump's path was printed; 1 no\n"
    "such process, not recording, permission denied, or no dump in time; 2 bad command line.\n"
    "\n"
    "Options:\n";

std::vector<OptionSpec> DumpOptionSpecs() {
  return {
      {.name = "label",
       .takes_value = true,
       .value_name = "TEXT",
       .help = absl::StrCat("store TEXT in the dump (report shows it, trend and html place it on "
                            "the time axis), e.g. \"batch 1742\"; its first line, at most ",
                            dump_label::kMaxBytes, " bytes, control characters replaced by '?'")},
      {.name = "wait",
       .takes_value = true,
       .value_name = "SECONDS",
       .help = "how long to wait for the dump (default 30); the recorder looks for requests "
               "once a second"},
      HelpOption(),
  };
}

int Fail(const std::string& message) {
  fprintf(stderr, "leakscope dump: %s\n", message.c_str());
  return kExitFailure;
}

std::string WaitText(int64_t ms) {
  return ms % 1000 == 0 ? absl::StrCat(ms / 1000, " s") : absl::StrCat(ms / 1000.0, " s");
}

}  // namespace

int DumpCommand(const std::vector<std::string>& args) {
  ArgParser parser(DumpOptionSpecs());
  if (auto done = ParseCommandLine("dump", args, kDumpHelp, 22, &parser)) return *done;
  if (parser.positional().size() != 1 || parser.saw_dashdash()) {
    return UsageError("dump", "expected one PID");
  }
  const std::string& pid_text = parser.positional()[0];
  char* rest = nullptr;
  long pid = strtol(pid_text.c_str(), &rest, 10);
  if (pid_text.empty() || *rest != '\0' || pid <= 0 || pid > 0x7fffffff) {
    return UsageError("dump", "bad PID '" + pid_text + "': expected a process id above 0");
  }
  DumpRequest request;
  if (auto label = parser.Value("label")) request.label = *label;
  if (auto wait = parser.Value("wait")) {
    char* end = nullptr;
    double seconds = strtod(wait->c_str(), &end);
    if (wait->empty() || *end != '\0' || !std::isfinite(seconds) || seconds <= 0 ||
        seconds > 86400) {
      return UsageError("dump",
                        "bad --wait '" + *wait + "': expected seconds, above 0, at most 86400");
    }
    request.wait_ms = static_cast<int64_t>(seconds * 1000 + 0.5);
  }

  TargetProcess target;
  std::string error;
  switch (ReadTargetProcess(static_cast<int>(pid), &target, &error)) {
    case TargetError::kNone:
      break;
    case TargetError::kPermission:
      return Fail(absl::StrCat("permission denied: ", error));
    case TargetError::kNoProcess:
    case TargetError::kOther:
      return Fail(error);
  }
  StatusFound found;
  switch (FindStatusFile(target, &found, &error)) {
    case StatusLookup::kFound:
      break;
    case StatusLookup::kNotFound:
      // Without its environment we looked under /tmp only: a TMPDIR of its own would hide it.
      return Fail(absl::StrCat(
          "process ", pid, " is not recording with leakscope: no status file (looked for ",
          absl::StrJoin(found.looked, ", "), ")",
          target.environ_read ? ""
                              : absl::StrCat("; its environment is not readable here, so a TMPDIR "
                                             "of its own is unknown: run as uid ",
                                             target.uid, " or root to look there too")));
    case StatusLookup::kPermission:
      return Fail(absl::StrCat("permission denied: ", error, " (run as uid ", target.uid,
                               ", the process' user, or as root)"));
    case StatusLookup::kBad:
      return Fail(absl::StrCat("process ", pid, " is not recording with leakscope: ", error));
  }
  DumpRequestResult result = RequestDump(target, found.status, request);
  switch (result.outcome) {
    case DumpOutcome::kWritten:
      printf("%s\n", result.dump_path.c_str());
      return fflush(stdout) == 0 ? kExitOk : kExitFailure;
    case DumpOutcome::kPermission:
      return Fail(absl::StrCat("permission denied: ", result.error, " (run as uid ", target.uid,
                               ", the process' user, or as root)"));
    case DumpOutcome::kFailed:
      return Fail(result.error);
    case DumpOutcome::kExited:
      return Fail(absl::StrCat("process ", pid, " exited before writing the dump asked for (its ",
                               "dumps are in ", result.dir, ")"));
    case DumpOutcome::kTimeout:
      return Fail(absl::StrCat("no dump from process ", pid, " within ", WaitText(request.wait_ms),
                               " in ", result.dir, "; the dumper may be busy (a large dump takes ",
                               "a while) or the process stopped: the request stays, so the dump "
                               "may still come; try a longer --wait"));
  }
  return kExitFailure;
}

}  // namespace leakscope::analyzer
