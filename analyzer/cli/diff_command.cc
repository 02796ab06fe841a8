// SPDX-License-Identifier: Apache-2.0
// `leakscope diff OLD NEW`: the change per call site between two dumps.
#include <cstdio>

#include "analysis/diff.h"
#include "cli/analysis_options.h"
#include "cli/commands.h"
#include "dump.h"
#include "output/format_diff.h"
#include "output/text_escape.h"
#include "symbolize/foreign_machine.h"

namespace leakscope::analyzer {
namespace {

constexpr char kDiffHelp[] =
    "Usage: leakscope diff OLD NEW [options]\n"
    "\n"
    "The change in live bytes and count per call site between two dumps of the same process,\n"
    "growth first, and the change of the memory picture. Dumps of different processes are\n"
    "compared by symbolized stack.\n"
    "\n"
    "collapsed: difffolded.pl's form for flamegraph.pl's differential flame graphs, one line\n"
    "per stack 'outermost;...;innermost OLD NEW', counted by --weight. pprof: the change as\n"
    "go tool pprof's -diff_base builds it, NEW's samples and OLD's negated and labelled\n"
    "pprof::base, so 'go tool pprof FILE' shows the change and percentages of OLD. Both hold\n"
    "every site of either dump (with --top N: the N largest growths).\n"
    "\n"
    "Options:\n";

constexpr size_t kDefaultTop = 25;  // text

}  // namespace

int DiffCommand(const std::vector<std::string>& args) {
  std::vector<OptionSpec> specs = {FoldedWeightOption()};
  for (OptionSpec& spec :
       AnalysisOptionSpecs("text (default), json, collapsed or pprof", kDefaultTop)) {
    specs.push_back(std::move(spec));
  }
  ArgParser parser(std::move(specs));
  if (auto done = ParseCommandLine("diff", args, kDiffHelp, 21, &parser)) return *done;
  if (parser.positional().size() != 2 || parser.saw_dashdash()) {
    return UsageError("diff", "expected two dumps: OLD NEW");
  }
  AnalysisOptions options;
  if (!ReadAnalysisOptions(parser, "diff", kDefaultTop, &options)) return kExitUsage;
  FoldedWeight weight = FoldedWeight::kLiveBytes;
  if (!ReadFoldedWeight(parser, "diff", options.format, &weight)) return kExitUsage;
  Dump dumps[2];
  std::string error;
  bool ok = true;
  for (int i = 0; i < 2; ++i) {
    if (!ReadDumpFile(parser.positional()[i], &dumps[i], &error)) {
      fprintf(stderr, "leakscope diff: %s\n", EscapeText(error).c_str());
      ok = false;
    } else if (std::string why = ForeignMachineError(dumps[i].process, options.symbolizer.resolver);
               !why.empty()) {
      fprintf(stderr, "leakscope diff: %s: %s\n", EscapeText(parser.positional()[i]).c_str(),
              why.c_str());
      ok = false;
    }
  }
  if (!ok) return kExitUsage;
  Symbolizer symbolizer(options.symbolizer);
  bool addresses = options.format == OutputFormat::kPprof;
  Report old_report = BuildReport(dumps[0], parser.positional()[0], &symbolizer, addresses);
  Report new_report = BuildReport(dumps[1], parser.positional()[1], &symbolizer, addresses);
  DiffResult diff = BuildDiff(std::move(old_report), std::move(new_report));
  Output output(options.output);
  switch (options.format) {
    case OutputFormat::kText:
      FormatDiffText(diff, symbolizer, options.top, &output.buffer());
      EscapeTextOutput(&output.buffer());
      break;
    case OutputFormat::kJson:
      FormatDiffJson(diff, symbolizer, options.top, &output.buffer());
      break;
    case OutputFormat::kCollapsed:
      FormatDiffCollapsed(diff, symbolizer, options.top, weight, &output.buffer());
      EscapeTextOutput(&output.buffer());
      break;
    case OutputFormat::kPprof:
      FormatDiffPprof(diff, symbolizer, options.top, &output.buffer());
      break;
  }
  return output.Commit() ? kExitOk : kExitFailure;
}

}  // namespace leakscope::analyzer
