// SPDX-License-Identifier: Apache-2.0
// `leakscope report DUMP`: the live allocations of one dump by call site.
#include <cstdio>

#include "analysis/report.h"
#include "cli/analysis_options.h"
#include "cli/commands.h"
#include "dump.h"
#include "output/format_report.h"
#include "output/text_escape.h"
#include "symbolize/foreign_machine.h"

namespace leakscope::analyzer {
namespace {

constexpr char kReportHelp[] =
    "Usage: leakscope report DUMP [options]\n"
    "\n"
    "The live allocations of one dump by call site, largest first: estimated live bytes and\n"
    "count, allocations so far and the symbolized stack (innermost first; '>' marks the\n"
    "allocating caller, the first frame outside malloc, zlib and the recorder). Above the sites,\n"
    "the process memory picture; below, the open zlib streams by opening site.\n"
    "\n"
    "Java frames (the recorder also loaded as a JVMTI agent, -agentpath:libleakscope.so) print\n"
    "as Java does, 'java.util.zip.Inflater.<init>(Inflater.java:131)'. They replace the native\n"
    "stack from its first interpreter/JIT frame (code in no module) on, JVM frames down to the\n"
    "thread start included; the native frames above (allocator, zlib, the JNI native) stay. A\n"
    "stack whose native frames hold no JVM code gets its Java frames after them. The last\n"
    "line says how many stack walks gave Java frames and why the others did not.\n"
    "\n"
    "collapsed: folded stacks for flamegraph.pl and speedscope, outermost frame first, counted\n"
    "by --weight; Java frames end in _[j], inlined native frames in _[i]. pprof: for go tool\n"
    "pprof, one sample per recorded stack with its addresses, module mappings and inlined\n"
    "frames; drop_frames names the allocator frames, so pprof's views start at the caller.\n"
    "\n"
    "Options:\n";

constexpr size_t kDefaultTop = 25;  // text

}  // namespace

int ReportCommand(const std::vector<std::string>& args) {
  std::vector<OptionSpec> specs = {FoldedWeightOption()};
  for (OptionSpec& spec :
       AnalysisOptionSpecs("text (default), json, collapsed or pprof", kDefaultTop)) {
    specs.push_back(std::move(spec));
  }
  ArgParser parser(std::move(specs));
  if (auto done = ParseCommandLine("report", args, kReportHelp, 21, &parser)) return *done;
  if (parser.positional().size() != 1 || parser.saw_dashdash()) {
    return UsageError("report",
                      parser.positional().empty() ? "missing DUMP" : "expected exactly one DUMP");
  }
  AnalysisOptions options;
  if (!ReadAnalysisOptions(parser, "report", kDefaultTop, &options)) return kExitUsage;
  FoldedWeight weight = FoldedWeight::kLiveBytes;
  if (!ReadFoldedWeight(parser, "report", options.format, &weight)) return kExitUsage;

  const std::string& path = parser.positional()[0];
  Dump dump;
  std::string error;
  if (!ReadDumpFile(path, &dump, &error)) {
    fprintf(stderr, "leakscope report: %s\n", EscapeText(error).c_str());
    return kExitUsage;
  }
  if (std::string why = ForeignMachineError(dump.process, options.symbolizer.resolver);
      !why.empty()) {
    fprintf(stderr, "leakscope report: %s: %s\n", EscapeText(path).c_str(), why.c_str());
    return kExitUsage;
  }
  Symbolizer symbolizer(options.symbolizer);
  Report report = BuildReport(dump, path, &symbolizer, options.format == OutputFormat::kPprof);
  Output output(options.output);
  switch (options.format) {
    case OutputFormat::kText:
      FormatReportText(report, symbolizer, options.top, &output.buffer());
      EscapeTextOutput(&output.buffer());
      break;
    case OutputFormat::kJson:
      FormatReportJson(report, symbolizer, options.top, &output.buffer());
      break;
    case OutputFormat::kCollapsed:
      FormatReportCollapsed(report, symbolizer, options.top, weight, &output.buffer());
      EscapeTextOutput(&output.buffer());
      break;
    case OutputFormat::kPprof:
      FormatReportPprof(report, symbolizer, options.top, &output.buffer());
      break;
  }
  return output.Commit() ? kExitOk : kExitFailure;
}

}  // namespace leakscope::analyzer
