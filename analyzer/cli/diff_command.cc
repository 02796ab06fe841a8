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
    "compared by symbolized stack. Formats: text, json.\n"
    "\n"
    "Options:\n";

constexpr size_t kDefaultTop = 25;  // text

}  // namespace

int DiffCommand(const std::vector<std::string>& args) {
  std::vector<OptionSpec> specs = AnalysisOptionSpecs("text (default) or json", kDefaultTop);
  ArgParser parser(std::move(specs));
  if (auto done = ParseCommandLine("diff", args, kDiffHelp, 21, &parser)) return *done;
  if (parser.positional().size() != 2 || parser.saw_dashdash()) {
    return UsageError("diff", "expected two dumps: OLD NEW");
  }
  AnalysisOptions options;
  if (!ReadAnalysisOptions(parser, "diff", kDefaultTop, &options)) return kExitUsage;
  if (options.format != OutputFormat::kText && options.format != OutputFormat::kJson) {
    return UsageError("diff", "diff writes text or json");
  }
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
  Report old_report = BuildReport(dumps[0], parser.positional()[0], &symbolizer);
  Report new_report = BuildReport(dumps[1], parser.positional()[1], &symbolizer);
  DiffResult diff = BuildDiff(std::move(old_report), std::move(new_report));
  Output output(options.output);
  if (options.format == OutputFormat::kJson) {
    FormatDiffJson(diff, symbolizer, options.top, &output.buffer());
  } else {
    FormatDiffText(diff, symbolizer, options.top, &output.buffer());
    EscapeTextOutput(&output.buffer());
  }
  return output.Commit() ? kExitOk : kExitFailure;
}

}  // namespace leakscope::analyzer
