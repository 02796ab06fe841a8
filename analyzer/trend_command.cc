// `leakscope trend DUMP...|DIR...`: growth per call site across dumps and the leak suspects.
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "analysis_options.h"
#include "commands.h"
#include "json_writer.h"
#include "output_format.h"
#include "text_escape.h"
#include "trend.h"
#include "units.h"

namespace leakscope {
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
    "Unreadable files get one line each on stderr and exit status 2; the others are analysed.\n"
    "Formats: text, json.\n"
    "\n"
    "Options:\n"
    "      --all          text: also list the sites that are not suspects\n"
    "      --max-shrink F  a suspect shrank in at most this fraction of intervals (0.2)\n"
    "      --process NAMES  only processes whose executable has one of these comma-separated\n"
    "                     base names (java): for dumps written without LEAKSCOPE_PROCESS\n";

std::string Rate(double bytes_per_min) {
  int64_t rounded =
      static_cast<int64_t>(bytes_per_min >= 0 ? bytes_per_min + 0.5 : bytes_per_min - 0.5);
  return absl::StrCat(HumanBytesSigned(rounded), "/min");
}

void AppendProcessesText(const TrendResult& r, std::string* out) {
  absl::StrAppend(out, "Processes: ", r.processes.size(), " (", r.dumps_read, " dumps read");
  if (!r.errors.empty()) absl::StrAppend(out, ", ", r.errors.size(), " unreadable");
  if (r.processes_left_out > 0) {
    absl::StrAppend(out, "; ", r.processes_left_out,
                    r.processes_left_out == 1 ? " other process" : " other processes", " (",
                    Counted(r.dumps_left_out, "dump"), ") left out by --process");
  }
  absl::StrAppend(out, ")\n");
  for (const ProcessTrend& p : r.processes) {
    absl::StrAppendFormat(out, "  pid %d (instance %016x) on %s: %d dumps, seq %d..%d over %s; ",
                          p.pid, p.instance_id, EscapeText(p.host), p.dumps, p.first_seq,
                          p.last_seq, HumanDuration(p.last_time_ns - p.first_time_ns));
    absl::StrAppend(out, "RSS ", HumanBytes(p.first_rss), " -> ", HumanBytes(p.last_rss),
                    ", live at sites ", HumanBytes(p.last_live_bytes), " in ",
                    Counted(p.last_live_count, "allocation"), "\n");
    if (!p.recorder_version.empty()) {
      absl::StrAppend(out, "    recorder: leakscope ", EscapeText(p.recorder_version), "\n");
    }
    AppendJavaWalksText(p.last_java, "    ", out);  // the walks counted up to the last dump
  }
}

void AppendSiteText(size_t rank, const SuspectTrend& s, const Symbolizer& symbolizer,
                    size_t process_count, std::string* out) {
  absl::StrAppend(out, "\n#", rank, "  ", Rate(s.growth_bytes_per_min), ", ",
                  HumanBytes(s.live_bytes_last), " in ", Counted(s.live_count_last, "allocation"),
                  " live in the last dump", s.processes_seen > 1 ? "s" : "", "; grew in ", s.grew,
                  " of ", s.intervals, " intervals, shrank in ", s.shrank);
  if (process_count > 1) {
    absl::StrAppend(out, "; growing in ", s.processes, " of ", process_count, " processes");
  }
  absl::StrAppend(out, "\n");
  AppendStackText(symbolizer.frames(), symbolizer.stacks().Get(s.stack), "    ", out);
}

void FormatTrendText(const TrendResult& r, const Symbolizer& symbolizer, size_t top, bool all,
                     std::string* out) {
  absl::StrAppend(out, "leakscope trend\n");
  AppendProcessesText(r, out);
  size_t shown = TopCount(top, r.suspects.size());
  absl::StrAppend(out, "\nLeak suspects: ", r.suspects.size(),
                  r.suspects.size() == 1 ? " site grows" : " sites grow", " steadily");
  if (shown < r.suspects.size()) absl::StrAppend(out, "; top ", shown);
  absl::StrAppend(out, "\n");
  if (r.suspects.empty()) {
    absl::StrAppend(out, "  (none");
    if (r.dumps_read < 2 * r.processes.size() || r.processes.empty()) {
      absl::StrAppend(out, ": trend needs at least two dumps of a process");
    }
    absl::StrAppend(out, ")\n");
  }
  for (size_t i = 0; i < shown; ++i) {
    AppendSiteText(i + 1, r.suspects[i], symbolizer, r.processes.size(), out);
  }
  if (all) {
    std::vector<const SuspectTrend*> others;
    for (const SuspectTrend& s : r.sites) {
      if (s.processes == 0) others.push_back(&s);
    }
    size_t n = TopCount(top, others.size());
    absl::StrAppend(out, "\nOther sites: ", others.size());
    if (n < others.size()) absl::StrAppend(out, "; top ", n);
    absl::StrAppend(out, "\n");
    for (size_t i = 0; i < n; ++i) {
      AppendSiteText(i + 1, *others[i], symbolizer, r.processes.size(), out);
    }
  }
}

void FormatTrendJson(const TrendResult& r, const Symbolizer& symbolizer, size_t top,
                     std::string* out) {
  JsonWriter json(out);
  BeginJsonOutput("trend", &json);
  json.FieldUInt("dumps_read", r.dumps_read);
  if (r.processes_left_out > 0) {
    json.FieldUInt("processes_left_out", r.processes_left_out);
    json.FieldUInt("dumps_left_out", r.dumps_left_out);
  }
  json.FieldStrings("errors", r.errors);
  json.Key("processes");
  json.BeginArray();
  for (const ProcessTrend& p : r.processes) {
    json.BeginObject(/*inline_=*/true);
    WriteTrendProcessJson(p, &json);
    json.EndObject();
  }
  json.EndArray();
  size_t shown = TopCount(top, r.suspects.size());
  json.Key("suspects");
  json.BeginArray();
  for (size_t i = 0; i < shown; ++i) {
    json.BeginObject();
    json.FieldUInt("rank", i + 1);
    WriteTrendSiteJson(r.suspects[i], symbolizer, &json);
    json.EndObject();
  }
  json.EndArray();
  size_t sites = TopCount(top, r.sites.size());
  json.Key("sites");
  json.BeginArray();
  for (size_t i = 0; i < sites; ++i) {
    json.BeginObject();
    json.FieldBool("suspect", r.sites[i].processes > 0);
    WriteTrendSiteJson(r.sites[i], symbolizer, &json);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
}

}  // namespace

int TrendCommand(const std::vector<std::string>& args) {
  std::vector<OptionSpec> specs = AnalysisOptionSpecs();
  specs.push_back({"all", 0, false});
  specs.push_back({"max-shrink", 0, true});
  specs.push_back({"process", 0, true});
  ArgParser parser(specs);
  std::string error;
  if (!parser.Parse(args, &error)) return UsageError("trend", error);
  if (parser.Has("help")) {
    fputs(kTrendHelp, stdout);
    fputs(AnalysisOptionsHelp("text (default) or json").c_str(), stdout);
    return kExitOk;
  }
  if (parser.positional().empty() || parser.saw_dashdash()) {
    return UsageError("trend", "expected dumps or directories");
  }
  AnalysisOptions options;
  if (!ReadAnalysisOptions(parser, "trend", 10, &options)) return kExitUsage;
  if (options.format != OutputFormat::kText && options.format != OutputFormat::kJson) {
    return UsageError("trend", "trend writes text or json");
  }
  TrendOptions trend_options;
  if (!ReadMaxShrink(parser, "trend", &trend_options.max_shrink_fraction)) return kExitUsage;
  if (auto value = parser.Value("process"); value) {
    if (value->find_first_not_of(", ") == std::string::npos) {
      return UsageError("trend", "--process needs executable names such as java");
    }
    trend_options.processes = *value;
  }
  std::vector<std::string> files;
  bool bad_path = false;
  if (!CollectDumpFiles("trend", parser.positional(), &files, &bad_path)) return kExitUsage;

  // Progress only for a person watching: after a second, and only on a terminal.
  const bool tty = isatty(STDERR_FILENO);
  const auto start = std::chrono::steady_clock::now();
  bool shown_progress = false;
  auto progress = [&](size_t done, size_t total) {
    if (!tty) return;
    if (std::chrono::steady_clock::now() - start < std::chrono::seconds(1)) return;
    fprintf(stderr, "\rleakscope trend: read %zu of %zu dumps", done, total);
    shown_progress = true;
  };
  Symbolizer symbolizer(options.symbolizer);
  TrendResult result = AnalyzeTrend(files, trend_options, &symbolizer, progress);
  if (shown_progress) fprintf(stderr, "\r\033[K");
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
  return result.errors.empty() && !bad_path ? kExitOk : kExitUsage;
}

}  // namespace leakscope
