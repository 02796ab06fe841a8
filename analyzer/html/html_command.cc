// SPDX-License-Identifier: Apache-2.0
// `leakscope html DUMP...|DIR... -o report.html`: the self-contained HTML report.
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "cli/analysis_options.h"
#include "cli/commands.h"
#include "cli/progress_line.h"
#include "html/html_data.h"
#include "html/html_page.h"
#include "output/text_escape.h"

namespace leakscope::analyzer {
namespace {

constexpr char kHtmlHelp[] =
    "Usage: leakscope html DUMP...|DIR... -o report.html [options]\n"
    "\n"
    "Writes one self-contained HTML file (script, style and data inline; it loads nothing\n"
    "and opens offline) to look at a leak in a browser:\n"
    "  - the leak suspects ranked as `leakscope trend` ranks them, each with a chart of its\n"
    "    live bytes at every dump, its growth rate, the processes it grows in and, on click,\n"
    "    its full stack;\n"
    "  - the memory picture of each process over time, stacked: live bytes at the sites,\n"
    "    free bytes malloc holds, and the rest of RSS;\n"
    "  - flame graphs of the live bytes in the last dump of each process and of their growth\n"
    "    since the first (click to zoom, search by name; Java and native frames in different\n"
    "    colours);\n"
    "  - open zlib streams and their bytes by opening site over time.\n"
    "Dumps are read and grouped as `leakscope trend` does; a single dump works too (no\n"
    "suspects then). Unreadable files get one line each on stderr and exit status 2; the\n"
    "others are shown. See docs/html.md.\n"
    "\n"
    "Options:\n";

}  // namespace

int HtmlCommand(const std::vector<std::string>& args) {
  HtmlOptions html_options;
  // No --format: html writes HTML only.
  std::vector<OptionSpec> specs = {
      {"output", 'o', true, "FILE", "the HTML file to write (required; - for standard output)"},
      {"top", 'n', true, "N",
       absl::StrCat("list the N fastest-growing suspects (default ", html_options.top,
                    "; 0 = all)")},
      MaxShrinkOption(),
      JobsOption(),
      {"flame-nodes", 0, true, "N",
       absl::StrCat("at most N nodes per flame graph (default ", html_options.max_flame_nodes,
                    "; 0 = all); smaller call paths are folded into their caller")}};
  for (OptionSpec& spec : SymbolOptionSpecs()) specs.push_back(std::move(spec));
  specs.push_back(HelpOption());
  ArgParser parser(std::move(specs));
  if (auto done = ParseCommandLine("html", args, kHtmlHelp, 21, &parser)) return *done;
  if (parser.positional().empty() || parser.saw_dashdash()) {
    return UsageError("html", "expected dumps or directories");
  }
  if (!parser.Has("output")) return UsageError("html", "missing -o FILE (the HTML to write)");
  AnalysisOptions options;  // text format (no --format), so --top defaults to html's own
  if (!ReadAnalysisOptions(parser, "html", html_options.top, &options)) return kExitUsage;
  html_options.top = options.top;
  if (!ReadCountOption(parser, "html", "flame-nodes", &html_options.max_flame_nodes)) {
    return kExitUsage;
  }
  if (!ReadMaxShrink(parser, "html", &html_options.trend.max_shrink_fraction)) return kExitUsage;
  if (!ReadJobs(parser, "html", &html_options.trend.jobs)) return kExitUsage;

  std::vector<std::string> files;
  bool bad_path = false;
  if (!CollectDumpFiles("html", parser.positional(), &files, &bad_path)) return kExitUsage;

  Symbolizer symbolizer(options.symbolizer);
  std::string data;
  std::vector<std::string> errors;
  ProgressLine progress("html");
  size_t read = BuildHtmlData(files, html_options, &symbolizer, &data, &errors,
                              [&](size_t done, size_t total) { progress.Update(done, total); });
  progress.Clear();
  for (const std::string& e : errors)
    fprintf(stderr, "leakscope html: %s\n", EscapeText(e).c_str());
  if (read == 0) {
    fprintf(stderr, "leakscope html: no dump could be read; nothing written\n");
    return kExitUsage;
  }
  Output output(options.output);
  WriteHtmlPage(data, &output.buffer());
  if (!output.Commit()) return kExitFailure;
  return errors.empty() && !bad_path ? kExitOk : kExitUsage;
}

}  // namespace leakscope::analyzer
