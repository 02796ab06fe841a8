// SPDX-License-Identifier: Apache-2.0
// `leakscope spark-conf`: prints the spark-submit options that record Spark executors.
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "spark/spark_conf.h"
#include "symbolize/elf_file.h"

namespace leakscope::analyzer {
namespace {

constexpr char kSparkConfHelp[] =
    "Usage: leakscope spark-conf [--yarn|--k8s] [options]\n"
    "\n"
    "Prints the spark-submit options that run every Spark executor under the recorder of this\n"
    "installation: how libleakscope.so reaches the executors before their JVM starts (YARN:\n"
    "--files into the container's working directory; Kubernetes: a hostPath volume), the\n"
    "recorder's settings (only processes named java record; no JVM option), where the dumps\n"
    "land (YARN: the container log directory, collected by log aggregation; Kubernetes: a\n"
    "hostPath volume, one directory per executor) and, as comments, how to bring them back\n"
    "and run `leakscope trend` over all executors. The libraries the recorder needs on every\n"
    "node are named: without them executors fail to start. See docs/spark.md.\n"
    "\n"
    "Options:\n";

}  // namespace

int SparkConfCommand(const std::vector<std::string>& args, const std::string& self_exe) {
  const SparkConfOptions defaults;
  std::vector<OptionSpec> specs = {
      {"yarn", 0, false, "", "Spark on YARN (default)"},
      {"k8s", 0, false, "", "Spark on Kubernetes"},
      {"lib", 0, true, "PATH",
       "the recorder is already installed at PATH on every node (in the executor image for "
       "--k8s): nothing is shipped or mounted"},
      {"dir", 0, true, "D",
       "YARN: write dumps to D on each node instead of the container log directory; --k8s: the "
       "node directory behind the dump volume (default /var/log/leakscope)"},
      RecorderIntervalOption(absl::StrCat(" (default ", defaults.interval, ")")),
      RecorderSampleBytesOption(absl::StrCat(" (default ", defaults.sample_bytes, ")")),
      {"no-java-frames", 0, false, "",
       "no Java frames (LEAKSCOPE_JAVA_STACKS=0); with them, no JVM option is needed: the "
       "preloaded library joins the JVM itself"},
      {"format", 'f', true, "FMT",
       "submit (default): spark-submit options; properties: spark-defaults.conf lines; json "
       "(docs/json.md)"},
      {"properties", 0, false, "", "the same as --format properties"},
      HelpOption()};
  ArgParser parser(std::move(specs));
  if (auto done = ParseCommandLine("spark-conf", args, kSparkConfHelp, 26, &parser)) return *done;
  std::string error;
  if (!parser.positional().empty() || parser.saw_dashdash()) {
    return UsageError("spark-conf", "takes no arguments besides options");
  }
  if (parser.Has("yarn") && parser.Has("k8s")) {
    return UsageError("spark-conf", "choose one of --yarn and --k8s");
  }
  SparkConfOptions options;
  options.cluster = parser.Has("k8s") ? SparkCluster::kKubernetes : SparkCluster::kYarn;
  std::string format = parser.Has("properties") ? "properties" : "submit";
  if (auto value = parser.Value("format"); value) {
    if (parser.Has("properties") && *value != "properties") {
      return UsageError("spark-conf", "--properties contradicts --format " + *value);
    }
    format = *value;
  }
  if (format != "submit" && format != "properties" && format != "json") {
    return UsageError("spark-conf",
                      "--format needs submit, properties or json, not '" + format + "'");
  }
  if (auto value = parser.Value("interval"); value) {
    if (!CheckRecorderInterval(*value, &error)) return UsageError("spark-conf", error);
    options.interval = *value;
  }
  if (auto value = parser.Value("sample-bytes"); value) {
    if (!CheckRecorderSampleBytes(*value, &error)) return UsageError("spark-conf", error);
    options.sample_bytes = *value;
  }
  options.java_frames = !parser.Has("no-java-frames");
  if (auto value = parser.Value("dir"); value) {
    // Resolved on the nodes, so it must not depend on where this command runs.
    if (!value->starts_with("/")) {
      return UsageError("spark-conf", "--dir needs an absolute path, not '" + *value + "'");
    }
    options.dir = std::filesystem::path(*value).lexically_normal().string();
  }

  // The library whose dependencies the nodes must provide: the installed one when it is also
  // here, else this installation's.
  std::string inspected;
  if (auto value = parser.Value("lib"); value) {
    if (!value->starts_with("/")) {
      return UsageError("spark-conf",
                        "--lib needs the absolute path where executors find the "
                        "library, not '" +
                            *value + "'");
    }
    options.installed_library = std::filesystem::path(*value).lexically_normal().string();
    if (access(options.installed_library.c_str(), R_OK) == 0) {
      inspected = options.installed_library;
    } else {
      options.needed_known = false;
    }
  } else {
    options.local_library = FindRecorderLibrary(self_exe, &error);
    if (options.local_library.empty()) {
      fprintf(stderr, "leakscope spark-conf: %s\n", error.c_str());
      return kExitUsage;
    }
    inspected = options.local_library;
  }
  if (!inspected.empty()) {
    std::unique_ptr<ElfFile> elf = ElfFile::Open(inspected);
    if (elf == nullptr) {
      fprintf(stderr, "leakscope spark-conf: %s is not an ELF shared library\n", inspected.c_str());
      return kExitUsage;
    }
    options.needed = NonGlibcLibraries(elf->Needed());
  }
  options.leakscope = self_exe.empty() ? "leakscope" : ShellQuote(self_exe);

  SparkConf conf = BuildSparkConf(options);
  Output output("");
  if (format == "json") {
    FormatSparkJson(conf, &output.buffer());
  } else if (format == "properties") {
    FormatSparkProperties(conf, &output.buffer());
  } else {
    FormatSparkSubmit(conf, &output.buffer());
  }
  return output.Commit() ? kExitOk : kExitFailure;
}

}  // namespace leakscope::analyzer
