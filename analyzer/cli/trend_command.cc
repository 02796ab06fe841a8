// SPDX-License-Identifier: Apache-2.0
// `leakscope trend DUMP...|DIR...`: growth per call site across dumps and the leak suspects.
#include <cstdio>

#include "analysis/trend.h"
#include "cli/analysis_options.h"
#include "cli/commands.h"
#include "cli/progress_line.h"
#include "output/format_trend.h"
#include "output/text_escape.h"

namespace leakscope::analyzer {
namespace {

constexpr char kTrendHelp[] =
    "Usage: leakscope trend DUMP...|DIR... [options]\n"
    "\n"
    "Reads every dump given (directories: every *.dump below them), groups them by process\n"
    "(pid and recorder instance) in seq order, and reports per call site its growth rate (a\n"
    "robust Theil-Sen slope, bytes per minute), the fraction of intervals in which it grew and\n"
    "its last live bytes. Leak suspects are sites that grow steadily: positive slope, net\n"
    "growth, shrinking in at most 20% of intervals, growing in at least 2 and still growing in\n"
    "the second half of the series. Sites that go up and down (caches, per-batch buffers) or\n"
    "grew once are not suspects. Sites of several processes are matched by symbolized stack.\n"
    "Unreadable files get one line each on stderr; the others are analysed.\n"
    "\n"
    "Formats: text, json. Growth rates are no profile: for folded stacks or pprof of the change,\n"
    "use 'leakscope diff FIRST LAST --format collapsed|pprof'.\n"
    "\n"
    "Exit status: 0 done; 1 the output could not be written; 2 bad command line, no dump found\n"
    "or an unreadable file; 3 with --fail-on-suspects, at least one leak suspect (even when some\n"
    "files were unreadable), so that a CI pipeline can fail a build on a leak.\n"
    "\n"
    "Options:\n";

constexpr size_t kDefaultTop = 10;  // text

}  // namespace

int TrendCommand(const std::vector<std::string>& args) {
  std::vector<OptionSpec> specs = {
      {"all", 0, false, "", "text: also list the sites that are not suspects"},
      {"fail-on-suspects", 0, false, "", "exit with status 3 when there is any leak suspect"},
      MaxShrinkOption(),
      {"process", 0, true, "NAMES",
       "only processes whose executable has one of these comma-separated base names (java): for "
       "dumps written without LEAKSCOPE_PROCESS"},
      JobsOption()};
  for (OptionSpec& spec : AnalysisOptionSpecs("text (default) or json", kDefaultTop)) {
    specs.push_back(std::move(spec));
  }
  ArgParser parser(std::move(specs));
  if (auto done = ParseCommandLine("trend", args, kTrendHelp, 21, &parser)) return *done;
  if (parser.positional().empty() || parser.saw_dashdash()) {
    return UsageError("trend", "expected dumps or directories");
  }
  AnalysisOptions options;
  if (!ReadAnalysisOptions(parser, "trend", kDefaultTop, &options)) return kExitUsage;
  if (options.format != OutputFormat::kText && options.format != OutputFormat::kJson) {
    return UsageError("trend",
                      "trend writes text or json (a profile of the change between two dumps: "
                      "leakscope diff FIRST LAST --format collapsed|pprof)");
  }
  TrendOptions trend_options;
  if (!ReadMaxShrink(parser, "trend", &trend_options.max_shrink_fraction)) return kExitUsage;
  if (auto value = parser.Value("process"); value) {
    if (value->find_first_not_of(", ") == std::string::npos) {
      return UsageError("trend", "--process needs executable names such as java");
    }
    trend_options.processes = *value;
  }
  if (!ReadJobs(parser, "trend", &trend_options.jobs)) return kExitUsage;
  std::vector<std::string> files;
  bool bad_path = false;
  if (!CollectDumpFiles("trend", parser.positional(), &files, &bad_path)) return kExitUsage;

  ProgressLine progress("trend");
  Symbolizer symbolizer(options.symbolizer);
  TrendResult result =
      AnalyzeTrend(files, trend_options, &symbolizer,
                   [&](size_t done, size_t total) { progress.Update(done, total); });
  progress.Clear();
  for (const std::string& e : result.errors) {
    fprintf(stderr, "leakscope trend: %s\n", EscapeText(e).c_str());
  }

  Output output(options.output);
  if (options.format == OutputFormat::kJson) {
    FormatTrendJson(result, symbolizer, options.top, &output.buffer());
  } else {
    FormatTrendText(result, symbolizer, options.top, parser.Has("all"), &output.buffer());
    EscapeTextOutput(&output.buffer());
  }
  if (!output.Commit()) return kExitFailure;
  if (parser.Has("fail-on-suspects") && !result.suspects.empty()) return kExitSuspects;
  return result.errors.empty() && !bad_path ? kExitOk : kExitUsage;
}

}  // namespace leakscope::analyzer
