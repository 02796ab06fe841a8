// SPDX-License-Identifier: Apache-2.0
#include "spark/spark_conf.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "output/json_output.h"
#include "output/json_writer.h"

namespace leakscope::analyzer {
namespace {

constexpr char kEnv[] = "spark.executorEnv.";

std::string HostPathKey(const std::string& volume, const char* field) {
  return absl::StrCat("spark.kubernetes.executor.volumes.hostPath.", volume, ".", field);
}

// Where each soname comes from on the usual distributions, to make the requirement actionable.
std::string Provider(const std::string& soname) {
  if (soname.starts_with("libunwind.so")) {
    return " (Debian/Ubuntu package libunwind8, RHEL/Fedora libunwind)";
  }
  if (soname.starts_with("libstdc++.so")) return " (libstdc++6 / libstdc++)";
  return "";
}

std::string NeedsSentence(const SparkConfOptions& options, const char* where,
                          const std::string& library) {
  if (!options.needed_known) {
    return absl::StrCat(
        "Check that it loads where executors run (a missing dependency stops "
        "every executor): LD_PRELOAD=",
        ShellQuote(library), " /bin/true (silent when all is well).");
  }
  if (options.needed.empty()) return "";
  std::vector<std::string> named;
  for (const std::string& soname : options.needed) named.push_back(soname + Provider(soname));
  return absl::StrCat(where, " needs ", absl::StrJoin(named, " and "),
                      ": without it every executor fails to start (\"error while loading "
                      "shared libraries\"). Check with: LD_PRELOAD=",
                      ShellQuote(library), " /bin/true (silent when all is well).");
}

// Java frames need no JVM flag: the preloaded library joins the executor's JVM once the launcher
// has created it (preload/java/java_launcher.h). An -agentpath flag would make a JVM whose library
// is missing refuse to start, failing every executor of a node without it, where a missing
// LD_PRELOAD costs one ld.so warning.
void AddJavaFrames(const SparkConfOptions& options, SparkConf* conf) {
  if (!options.java_frames) {
    conf->conf.emplace_back(absl::StrCat(kEnv, "LEAKSCOPE_JAVA_STACKS"), "0");
    return;
  }
  conf->about.push_back(
      "Stacks carry Java frames without any JVM option: the preloaded library joins each "
      "executor's JVM once it is up, so a node without the library still runs its executors.");
}

void AddRecorderSettings(const SparkConfOptions& options, SparkConf* conf) {
  // The container's launch script (ln, cp, chmod, find, bash -c) runs under LD_PRELOAD too: only
  // the executor's JVM records.
  conf->conf.emplace_back(absl::StrCat(kEnv, "LEAKSCOPE_PROCESS"), "java");
  conf->about.push_back(
      "Only processes named java record (LEAKSCOPE_PROCESS): the commands the container's "
      "launch script runs first (ln, cp, find, bash) pass straight through and write nothing.");
  conf->conf.emplace_back(absl::StrCat(kEnv, "LEAKSCOPE_INTERVAL"), options.interval);
  conf->conf.emplace_back(absl::StrCat(kEnv, "LEAKSCOPE_SAMPLE_BYTES"), options.sample_bytes);
}

void BuildYarn(const SparkConfOptions& options, SparkConf* conf) {
  // YARN links every --files entry into the container's working directory, the executor's
  // current directory when the loader reads LD_PRELOAD.
  const std::string preload =
      options.installed_library.empty()
          ? "./" + std::filesystem::path(options.local_library).filename().string()
          : options.installed_library;
  conf->conf.emplace_back(absl::StrCat(kEnv, "LD_PRELOAD"), preload);
  if (options.installed_library.empty()) {
    conf->files.push_back(options.local_library);
    conf->about.push_back(absl::StrCat(
        "Executors preload ", options.local_library,
        ", which --files ships into each container's working directory (if you already pass "
        "--files, add it to your list: spark-submit keeps only the last --files). YARN's launch "
        "script links it there with LD_PRELOAD already set, so each `ln` up to that link prints "
        "one harmless ld.so ERROR line into prelaunch.err; --lib avoids them."));
  } else {
    conf->about.push_back(absl::StrCat("Executors preload ", options.installed_library,
                                       ", which must exist on every node."));
  }
  AddJavaFrames(options, conf);
  std::string library =
      options.installed_library.empty() ? options.local_library : options.installed_library;
  if (std::string needs = NeedsSentence(options, "Every node", library); !needs.empty()) {
    conf->about.push_back(needs);
  }
  if (options.dir.empty()) {
    conf->about.push_back(
        "LEAKSCOPE_DIR stays unset: the recorder writes to the container's log directory (the "
        "first entry of LOG_DIRS), where log aggregation collects the dumps with the container "
        "logs.");
    conf->dumps =
        "<yarn.nodemanager.log-dirs>/<application id>/<container id>/leakscope.<pid>.<seq>.dump";
    conf->collect = {
        "# Pull the dumps of all executors back (running or finished application) and rank the "
        "growing sites:",
        absl::StrCat("yarn logs -applicationId <application id> -log_files_pattern '",
                     kYarnDumpPattern, "' -out yarn-dumps"),
        absl::StrCat(options.leakscope, " unpack yarn-dumps -o dumps"),
        absl::StrCat(options.leakscope, " trend dumps"),
    };
  } else {
    conf->conf.emplace_back(absl::StrCat(kEnv, "LEAKSCOPE_DIR"), options.dir);
    conf->about.push_back(absl::StrCat(
        "Dumps go to ", options.dir,
        " on each node (it must be writable by the user executors run as); log aggregation does "
        "not see them there."));
    conf->dumps = absl::StrCat(options.dir, "/leakscope.<pid>.<seq>.dump on each node");
    conf->collect = {
        "# Copy the dumps from every node into one directory per node and rank the growing "
        "sites:",
        absl::StrCat("for node in <node names>; do mkdir -p dumps/$node && scp \"$node:",
                     options.dir, "/leakscope.*.dump\" dumps/$node/; done"),
        absl::StrCat(options.leakscope, " trend dumps"),
    };
  }
  AddRecorderSettings(options, conf);
}

void BuildKubernetes(const SparkConfOptions& options, SparkConf* conf) {
  std::string library;
  if (options.installed_library.empty()) {
    std::filesystem::path local(options.local_library);
    std::string host_dir = local.parent_path().string();
    library = absl::StrCat(kK8sLibraryMount, "/", local.filename().string());
    conf->conf.emplace_back(HostPathKey("leakscope-lib", "mount.path"), kK8sLibraryMount);
    conf->conf.emplace_back(HostPathKey("leakscope-lib", "mount.readOnly"), "true");
    conf->conf.emplace_back(HostPathKey("leakscope-lib", "options.path"), host_dir);
    // --files cannot work here: executors fetch them after their JVM has started.
    conf->about.push_back(absl::StrCat(
        "Executors preload ", library, " from a read-only hostPath volume: copy ",
        options.local_library, " to ", host_dir,
        "/ on every node first (or build it into your executor image and pass --lib)."));
  } else {
    library = options.installed_library;
    conf->about.push_back(
        absl::StrCat("Executors preload ", library, ", which must exist in the executor image."));
  }
  if (std::string needs = NeedsSentence(options, "The executor image", library); !needs.empty()) {
    conf->about.push_back(needs);
  }
  std::string host_dir = options.dir.empty() ? kK8sDefaultHostDir : options.dir;
  conf->conf.emplace_back(HostPathKey("leakscope", "mount.path"), kK8sDumpMount);
  conf->conf.emplace_back(HostPathKey("leakscope", "options.path"), host_dir);
  conf->conf.emplace_back(absl::StrCat(kEnv, "LD_PRELOAD"), library);
  AddJavaFrames(options, conf);
  // Kubernetes expands $(VAR) from variables defined before this one; Spark defines both ids
  // ahead of spark.executorEnv.*. The recorder creates this one directory level itself.
  conf->conf.emplace_back(
      absl::StrCat(kEnv, "LEAKSCOPE_DIR"),
      absl::StrCat(kK8sDumpMount, "/$(SPARK_APPLICATION_ID)-$(SPARK_EXECUTOR_ID)"));
  conf->about.push_back(absl::StrCat(
      "Dumps go to a hostPath volume, ", host_dir,
      " on each node, so they outlive the executor "
      "pods (an executor killed for its memory keeps its dumps), one directory per executor. "
      "Create it on every node, writable by the executors' user: sudo install -d -m 1777 ",
      host_dir));
  conf->dumps = absl::StrCat(host_dir,
                             "/<application id>-<executor id>/leakscope.<pid>.<seq>.dump on each "
                             "node (",
                             kK8sDumpMount, "/... in the executor pod)");
  conf->collect = {
      absl::StrCat("# Pull the dumps of all executors back while they run (kubectl cp needs tar "
                   "in the image; add -n NAMESPACE as needed), or later copy them from ",
                   host_dir, " on the nodes, and rank the growing sites:"),
      "app=<application id>  # the pods' spark-app-selector label, e.g. spark-0123abcd...",
      "for pod in $(kubectl get pods -l spark-role=executor,spark-app-selector=$app -o name); "
      "do",
      "  id=$(kubectl get $pod -o jsonpath='{.metadata.labels.spark-exec-id}')",
      absl::StrCat("  kubectl cp ${pod#pod/}:", kK8sDumpMount, "/$app-$id dumps/$app-$id"),
      "done",
      absl::StrCat(options.leakscope, " trend dumps"),
  };
  AddRecorderSettings(options, conf);
}

constexpr size_t kWidth = 98;

// "# "-prefixed lines of at most `width` columns.
void AppendComment(const std::string& text, size_t width, std::string* out) {
  std::string line = "#";
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (line.size() > 1 && line.size() + 1 + word.size() > width) {
      absl::StrAppend(out, line, "\n");
      line = "#";
    }
    absl::StrAppend(&line, " ", word);
  }
  absl::StrAppend(out, line, "\n");
}

const char* ClusterName(SparkCluster cluster) {
  return cluster == SparkCluster::kYarn ? "yarn" : "kubernetes";
}

}  // namespace

SparkConf BuildSparkConf(const SparkConfOptions& options) {
  SparkConf conf;
  conf.cluster = options.cluster;
  conf.needed = options.needed;
  if (options.cluster == SparkCluster::kYarn) {
    BuildYarn(options, &conf);
  } else {
    BuildKubernetes(options, &conf);
  }
  return conf;
}

std::vector<std::string> NonGlibcLibraries(const std::vector<std::string>& needed) {
  static constexpr std::string_view kGlibc[] = {"libc.so.",
                                                "libm.so.",
                                                "libdl.so.",
                                                "libpthread.so.",
                                                "librt.so.",
                                                "ld-linux-x86-64.so.",
                                                "ld-linux-aarch64.so.",
                                                "libresolv.so.",
                                                "libutil.so."};
  std::vector<std::string> kept;
  for (const std::string& soname : needed) {
    bool glibc = std::any_of(std::begin(kGlibc), std::end(kGlibc),
                             [&](std::string_view prefix) { return soname.starts_with(prefix); });
    if (!glibc) kept.push_back(soname);
  }
  return kept;
}

std::string ShellQuote(const std::string& arg) {
  bool safe = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_./=:,+@%-").find(c) != std::string_view::npos;
  });
  if (safe) return arg;
  std::string quoted = "'";
  for (char c : arg) {
    if (c == '\'') {
      quoted += "'\\''";  // close, escaped quote, reopen
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

namespace {

// The header comment, a paragraph per sentence, then `paste` as the last paragraph.
void AppendAbout(const SparkConf& conf, const char* what, const char* paste, std::string* out) {
  absl::StrAppend(out, "# leakscope: ", what, " for Spark on ",
                  conf.cluster == SparkCluster::kYarn ? "YARN" : "Kubernetes", "\n#\n");
  for (const std::string& sentence : conf.about) {
    AppendComment(sentence, kWidth, out);
    absl::StrAppend(out, "#\n");
  }
  AppendComment(paste, kWidth, out);
}

// The comment below the options: where dumps land and how to collect them.
void AppendCollect(const SparkConf& conf, std::string* out) {
  absl::StrAppend(out, "\n");
  AppendComment("Dumps: " + conf.dumps, kWidth, out);
  for (const std::string& line : conf.collect) {
    if (line.starts_with("# ")) {
      AppendComment(line.substr(2), kWidth, out);
    } else {
      absl::StrAppend(out, "#   ", line, "\n");  // a command: never wrapped
    }
  }
}

}  // namespace

void FormatSparkSubmit(const SparkConf& conf, std::string* out) {
  AppendAbout(conf, "spark-submit options",
              "Paste these lines into your spark-submit command before the application jar (each "
              "ends with a backslash):",
              out);
  for (const std::string& file : conf.files) {
    absl::StrAppend(out, "--files ", ShellQuote(file), " \\\n");
  }
  for (const auto& [key, value] : conf.conf) {
    absl::StrAppend(out, "--conf ", ShellQuote(absl::StrCat(key, "=", value)), " \\\n");
  }
  AppendCollect(conf, out);
}

void FormatSparkProperties(const SparkConf& conf, std::string* out) {
  AppendAbout(conf, "spark-defaults.conf lines",
              "Append these lines to conf/spark-defaults.conf (spark-submit --properties-file "
              "would replace that file, not add to it):",
              out);
  if (!conf.files.empty()) {
    absl::StrAppend(out, "spark.yarn.dist.files ", absl::StrJoin(conf.files, ","), "\n");
  }
  for (const auto& [key, value] : conf.conf) absl::StrAppend(out, key, " ", value, "\n");
  AppendCollect(conf, out);
}

void FormatSparkJson(const SparkConf& conf, std::string* out) {
  JsonWriter json(out);
  BeginJsonOutput("spark-conf", &json);
  json.Field("cluster", ClusterName(conf.cluster));
  json.FieldStrings("files", conf.files, /*inline_=*/true);
  json.Key("conf");
  json.BeginObject();
  for (const auto& [key, value] : conf.conf) json.Field(key, value);
  json.EndObject();
  json.FieldStrings("needed_libraries", conf.needed, /*inline_=*/true);
  json.Field("dumps", conf.dumps);
  json.FieldStrings("notes", conf.about);
  json.FieldStrings("collect", conf.collect);
  json.EndObject();
  out->push_back('\n');
}

}  // namespace leakscope::analyzer
