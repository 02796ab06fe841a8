// SPDX-License-Identifier: Apache-2.0
// `leakscope export DUMP...|DIR... --format jsonl`: every site of every dump as JSON Lines, for
// ranking sites over a fleet of executors in Spark or any SQL engine (docs/spark.md).
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "analysis/export_rows.h"
#include "cli/analysis_options.h"
#include "cli/commands.h"
#include "cli/progress_line.h"
#include "output/format_export_jsonl.h"
#include "output/text_escape.h"

namespace leakscope::analyzer {
namespace {

constexpr char kExportHelp[] =
    "Usage: leakscope export DUMP...|DIR... --format jsonl [options]\n"
    "\n"
    "Writes one JSON object per line to standard output for each call site of each dump:\n"
    "pid, instance_id, host, executor (Spark's --executor-id from the command line, else\n"
    "null), seq, time_unix_ns, time_monotonic_ns, site (a key of the symbolized stack, the same\n"
    "on every machine for the same frames), live_bytes and live_count (estimated), and on a\n"
    "site's first line in its process its frames. Dumps are read and grouped as `leakscope\n"
    "trend` reads them, one at a time. Load the output with Spark's spark.read.json: see\n"
    "docs/spark.md and, for the fields, docs/json.md. Unreadable files get one line each on\n"
    "stderr and exit status 2; the others are exported.\n"
    "\n"
    "Options:\n";

// Lines are written in chunks of about this many bytes: an export of a fleet is far larger
// than memory, so it is streamed, not built whole.
constexpr size_t kChunkBytes = 1 << 20;

bool Flush(std::string* out) {
  if (!out->empty() && fwrite(out->data(), 1, out->size(), stdout) != out->size()) return false;
  out->clear();
  return true;
}

}  // namespace

int ExportCommand(const std::vector<std::string>& args) {
  std::vector<OptionSpec> specs = {
      {"format", 'f', true, "FORMAT", "jsonl (required: the one format so far)"}};
  for (OptionSpec& spec : SymbolOptionSpecs()) specs.push_back(std::move(spec));
  specs.push_back(HelpOption());
  ArgParser parser(std::move(specs));
  if (auto done = ParseCommandLine("export", args, kExportHelp, 21, &parser)) return *done;
  if (parser.positional().empty() || parser.saw_dashdash()) {
    return UsageError("export", "expected dumps or directories");
  }
  auto format = parser.Value("format");
  if (!format) return UsageError("export", "missing --format jsonl");
  if (*format != "jsonl") {
    return UsageError("export", "unknown format '" + *format + "' (expected jsonl)");
  }
  SymbolizerOptions symbolizer_options;
  ReadSymbolOptions(parser, &symbolizer_options);
  std::vector<std::string> files;
  bool bad_path = false;
  if (!CollectDumpFiles("export", parser.positional(), &files, &bad_path)) return kExitUsage;

  Symbolizer symbolizer(symbolizer_options);
  ProgressLine progress("export");
  std::string out;
  bool write_failed = false;
  ExportSummary summary = ExportDumps(
      files, &symbolizer,
      [&](const ExportDump& dump) {
        if (write_failed) return;
        AppendExportJsonl(dump, symbolizer, &out);
        if (out.size() >= kChunkBytes && !Flush(&out)) write_failed = true;
      },
      [&](size_t done, size_t total) { progress.Update(done, total); });
  progress.Clear();
  if (!write_failed && (!Flush(&out) || fflush(stdout) != 0)) write_failed = true;
  if (write_failed) {
    fprintf(stderr, "leakscope export: cannot write standard output: %s\n", strerror(errno));
    return kExitFailure;
  }
  for (const std::string& e : summary.errors) {
    fprintf(stderr, "leakscope export: %s\n", EscapeText(e).c_str());
  }
  return summary.errors.empty() && !bad_path ? kExitOk : kExitUsage;
}

}  // namespace leakscope::analyzer
