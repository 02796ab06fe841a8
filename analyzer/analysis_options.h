// Options shared by the analysing subcommands (report, diff, trend): symbol lookup and output.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "cli.h"
#include "output_format.h"
#include "symbolizer.h"

namespace leakscope {

// --sysroot, --debug-dir, --perf-map, --format, -o/--output, --top, --quiet, -h/--help.
std::vector<OptionSpec> AnalysisOptionSpecs();

// The help text of these options, for the subcommands' --help.
extern const char kAnalysisOptionsHelp[];

struct AnalysisOptions {
  SymbolizerOptions symbolizer;
  OutputFormat format = OutputFormat::kText;
  std::string output;  // empty = stdout
  size_t top = 0;      // 0 = all
};

// Reads the shared options. On a bad value prints a usage error for `command` and returns false.
// `default_top_text` is the --top default for text output (other formats default to all).
bool ReadAnalysisOptions(const ArgParser& parser, const char* command, size_t default_top_text,
                         AnalysisOptions* options);

}  // namespace leakscope
