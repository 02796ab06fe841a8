// SPDX-License-Identifier: Apache-2.0
// Options shared by the analysing subcommands (report, diff, trend, html): symbol lookup,
// output, and the dump files they read.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "cli/cli.h"
#include "output/output_format.h"
#include "symbolize/symbolizer.h"

namespace leakscope::analyzer {

// The options of the analysing commands, as the parser takes them and --help describes them:
// -f/--format naming `formats`, the formats the command writes ("text (default) or json"; an
// empty `formats` leaves --format out), -o/--output, -n/--top whose text default is
// `default_top_text` (the value the command passes to ReadAnalysisOptions), then
// SymbolOptionSpecs() and -h/--help.
std::vector<OptionSpec> AnalysisOptionSpecs(std::string_view formats, size_t default_top_text);

// --sysroot, --debug-dir, --perf-map and -q/--quiet: where and how modules are symbolized.
std::vector<OptionSpec> SymbolOptionSpecs();

// The options of SymbolOptionSpecs() into *symbolizer (ReadAnalysisOptions does it too).
void ReadSymbolOptions(const ArgParser& parser, SymbolizerOptions* symbolizer);

// --max-shrink F of trend and html (see ReadMaxShrink).
OptionSpec MaxShrinkOption();

// --jobs N of the commands that read many dumps (trend, html, export): worker threads.
OptionSpec JobsOption();

// --jobs N into *jobs (1 to 1024), left as is when the option is absent. On a bad value prints
// a usage error for `command` and returns false.
bool ReadJobs(const ArgParser& parser, const char* command, unsigned* jobs);

// --weight W of the commands that write folded stacks (see ReadFoldedWeight).
OptionSpec FoldedWeightOption();

struct AnalysisOptions {
  SymbolizerOptions symbolizer;
  OutputFormat format = OutputFormat::kText;
  std::string output;  // empty = stdout
  size_t top = 0;      // 0 = all
};

// A count option --`name` N (digits only) into *count, left as is when the option is absent. On a
// bad value prints a usage error for `command` and returns false.
bool ReadCountOption(const ArgParser& parser, const char* command, const char* name, size_t* count);

// Reads the shared options. On a bad value prints a usage error for `command` and returns false.
// `default_top_text` is the --top default for text output (other formats default to all).
bool ReadAnalysisOptions(const ArgParser& parser, const char* command, size_t default_top_text,
                         AnalysisOptions* options);

// --weight into *weight, left as is when the option is absent. On a bad value, or with a format
// other than collapsed, prints a usage error for `command` and returns false.
bool ReadFoldedWeight(const ArgParser& parser, const char* command, OutputFormat format,
                      FoldedWeight* weight);

// --max-shrink F of trend and html into *fraction, left as is when the option is absent. On a
// value outside [0, 1] prints a usage error for `command` and returns false.
bool ReadMaxShrink(const ArgParser& parser, const char* command, double* fraction);

// The dump files of trend and html: each path a dump or a directory searched for *.dump. Each
// path that cannot be read gets a "leakscope <command>:" line on stderr and sets *bad_path.
// Returns false when no dump was found (saying so when no path was bad): exit with kExitUsage.
bool CollectDumpFiles(const char* command, const std::vector<std::string>& paths,
                      std::vector<std::string>* files, bool* bad_path);

}  // namespace leakscope::analyzer
