// SPDX-License-Identifier: Apache-2.0
// The leakscope command: dispatches to the subcommands.
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/commands.h"
#include "version.h"

namespace {

constexpr char kHelp[] =
    "Usage: leakscope COMMAND [options]\n"
    "\n"
    "Finds native memory leaks from the dumps libleakscope.so writes.\n"
    "\n"
    "Commands:\n"
    "  report DUMP             live allocations of one dump by call site, memory picture,\n"
    "                          open zlib streams\n"
    "  diff OLD NEW            change per call site between two dumps, growth first\n"
    "  trend DUMP...|DIR...    growth rate per call site across dumps; ranked leak suspects\n"
    "  run [options] -- CMD    run CMD with the recorder preloaded and say where dumps go\n"
    "  attach PID [options]    start recording in a running JVM (or --stop it)\n"
    "  dump PID [--label TEXT]  ask a recording process for a dump now; prints its path\n"
    "  spark-conf [--yarn|--k8s]  spark-submit options that record every Spark executor\n"
    "  unpack INPUT... -o DIR  extract the dumps from `yarn logs` output\n"
    "  html DUMP...|DIR... -o FILE  one self-contained HTML report: suspects over time,\n"
    "                          memory picture, flame graphs, zlib streams\n"
    "  export DUMP...|DIR... --format jsonl  every site of every dump as JSON Lines\n"
    "                          (for Spark or any SQL engine over a fleet)\n"
    "\n"
    "  leakscope COMMAND --help   options of a command\n"
    "  leakscope --version        version\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 bad command line or bad input file\n"
    "(run: the command's own status).\n";

std::string SelfExe() {
  char buffer[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (n <= 0) return "";
  return std::string(buffer, static_cast<size_t>(n));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fputs(kHelp, stderr);
    return leakscope::analyzer::kExitUsage;
  }
  std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "--help" || command == "-h" || command == "help") {
    fputs(kHelp, stdout);
    return leakscope::analyzer::kExitOk;
  }
  if (command == "--version" || command == "-V" || command == "version") {
    printf("%s\n", leakscope::kVersionLine);
    return leakscope::analyzer::kExitOk;
  }
  if (command == "report") return leakscope::analyzer::ReportCommand(args);
  if (command == "diff") return leakscope::analyzer::DiffCommand(args);
  if (command == "trend") return leakscope::analyzer::TrendCommand(args);
  if (command == "run") return leakscope::analyzer::RunCommand(args, SelfExe());
  if (command == "spark-conf") return leakscope::analyzer::SparkConfCommand(args, SelfExe());
  if (command == "unpack") return leakscope::analyzer::UnpackCommand(args);
  if (command == "html") return leakscope::analyzer::HtmlCommand(args);
  if (command == "attach") return leakscope::analyzer::AttachCommand(args, SelfExe());
  if (command == "dump") return leakscope::analyzer::DumpCommand(args);
  if (command == "export") return leakscope::analyzer::ExportCommand(args);
  if (command.starts_with("-"))
    return leakscope::analyzer::UsageError("", "unknown option " + command);
  return leakscope::analyzer::UsageError("", "unknown command '" + command + "'");
}
