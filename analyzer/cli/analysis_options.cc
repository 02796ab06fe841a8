// SPDX-License-Identifier: Apache-2.0
#include "cli/analysis_options.h"

#include <unistd.h>

#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "analysis/dump_discovery.h"
#include "output/absl_compat.h"

namespace leakscope::analyzer {

std::vector<OptionSpec> AnalysisOptionSpecs(std::string_view formats, size_t default_top_text) {
  std::vector<OptionSpec> specs;
  if (!formats.empty()) {
    specs.push_back({"format", 'f', true, "FMT", absl::StrCat(AV(formats), " (see docs/json.md)")});
  }
  specs.push_back({"output", 'o', true, "FILE", "write to FILE instead of standard output"});
  specs.push_back(
      {"top", 'n', true, "N",
       absl::StrCat("show the N largest entries (text default ", default_top_text, "; 0 = all)")});
  for (OptionSpec& spec : SymbolOptionSpecs()) specs.push_back(std::move(spec));
  specs.push_back(HelpOption());
  return specs;
}

std::vector<OptionSpec> SymbolOptionSpecs() {
  return {
      {"sysroot", 0, true, "DIR", "look up module files under DIR (dumps from another machine)"},
      {"debug-dir", 0, true, "DIR",
       "also look for debug files in DIR (DIR/.build-id/xx/yyyy.debug and "
       "DIR/<module dir>/<debuglink>); repeatable"},
      {"perf-map", 0, true, "FILE",
       "name JIT frames from FILE (perf map format); repeatable. Without it "
       "/tmp/perf-<pid>.map is used when present"},
      {"quiet", 'q', false, "", "no warnings about modules that cannot be symbolized"}};
}

OptionSpec MaxShrinkOption() {
  return {"max-shrink", 0, true, "F",
          "a suspect shrank in at most this fraction of intervals (0.2)"};
}

OptionSpec JobsOption() {
  return {"jobs", 'j', true, "N",
          "read the dumps of N processes at a time (default: one per core); the output does not "
          "depend on it"};
}

bool ReadJobs(const ArgParser& parser, const char* command, unsigned* jobs) {
  auto value = parser.Value("jobs");
  if (!value) return true;
  size_t n = 0;
  if (!ReadCountOption(parser, command, "jobs", &n)) return false;
  if (n < 1 || n > 1024) {
    UsageError(command, absl::StrCat("--jobs needs a number from 1 to 1024, not '", *value, "'"));
    return false;
  }
  *jobs = static_cast<unsigned>(n);
  return true;
}

OptionSpec FoldedWeightOption() {
  return {"weight", 0, true, "W",
          "collapsed: count each stack by live_bytes (default), live_count, alloc_bytes or "
          "alloc_count"};
}

bool ReadFoldedWeight(const ArgParser& parser, const char* command, OutputFormat format,
                      FoldedWeight* weight) {
  auto value = parser.Value("weight");
  if (!value) return true;
  if (!ParseFoldedWeight(*value, weight)) {
    UsageError(command, absl::StrCat("--weight needs live_bytes, live_count, alloc_bytes or "
                                     "alloc_count, not '",
                                     *value, "'"));
    return false;
  }
  if (format != OutputFormat::kCollapsed) {
    UsageError(command, "--weight applies to --format collapsed only");
    return false;
  }
  return true;
}

bool ReadCountOption(const ArgParser& parser, const char* command, const char* name,
                     size_t* count) {
  auto value = parser.Value(name);
  if (!value) return true;
  if (value->find_first_not_of("0123456789") == std::string::npos &&
      absl::SimpleAtoi(*value, count)) {
    return true;
  }
  UsageError(command, absl::StrCat("--", name, " needs a number, not '", *value, "'"));
  return false;
}

void ReadSymbolOptions(const ArgParser& parser, SymbolizerOptions* symbolizer) {
  symbolizer->resolver.sysroot = parser.Value("sysroot").value_or("");
  while (symbolizer->resolver.sysroot.size() > 1 && symbolizer->resolver.sysroot.back() == '/') {
    symbolizer->resolver.sysroot.pop_back();
  }
  symbolizer->resolver.debug_dirs = parser.Values("debug-dir");
  symbolizer->perf_maps = parser.Values("perf-map");
  symbolizer->warnings = parser.Has("quiet") ? nullptr : stderr;
}

bool ReadAnalysisOptions(const ArgParser& parser, const char* command, size_t default_top_text,
                         AnalysisOptions* options) {
  if (auto format = parser.Value("format");
      format && !ParseOutputFormat(*format, &options->format)) {
    UsageError(command, absl::StrCat("unknown format '", *format,
                                     "' (expected text, json, collapsed or pprof)"));
    return false;
  }
  options->output = parser.Value("output").value_or("");
  options->top = options->format == OutputFormat::kText ? default_top_text : 0;
  if (!ReadCountOption(parser, command, "top", &options->top)) return false;
  if (options->format == OutputFormat::kPprof &&
      (options->output.empty() || options->output == "-") && isatty(STDOUT_FILENO)) {
    UsageError(command, "pprof output is binary; use -o FILE or redirect standard output");
    return false;
  }
  ReadSymbolOptions(parser, &options->symbolizer);
  return true;
}

bool ReadMaxShrink(const ArgParser& parser, const char* command, double* fraction) {
  auto value = parser.Value("max-shrink");
  if (!value) return true;
  if (!absl::SimpleAtod(*value, fraction) || *fraction < 0 || *fraction > 1) {
    UsageError(command,
               absl::StrCat("--max-shrink needs a fraction in [0, 1], not '", *value, "'"));
    return false;
  }
  return true;
}

bool CollectDumpFiles(const char* command, const std::vector<std::string>& paths,
                      std::vector<std::string>* files, bool* bad_path) {
  *bad_path = false;
  std::string error;
  for (const std::string& path : paths) {
    if (!ExpandDumpPath(path, files, &error)) {
      fprintf(stderr, "leakscope %s: %s\n", command, error.c_str());
      *bad_path = true;
    }
  }
  if (!files->empty()) return true;
  if (!*bad_path) {
    fprintf(stderr,
            "leakscope %s: no *.dump files found (dumps inside `yarn logs` output: "
            "extract them with leakscope unpack)\n",
            command);
  }
  return false;
}

}  // namespace leakscope::analyzer
