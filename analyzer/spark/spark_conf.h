// SPDX-License-Identifier: Apache-2.0
// The spark-submit settings that run Spark executors under the recorder, for YARN or Kubernetes:
// how the library reaches each executor before its JVM starts, the recorder's options, where the
// dumps land and how to bring them back for `leakscope trend`. docs/spark.md explains them.
//
// What decides the shape:
// - LD_PRELOAD is read by the loader when the executor process starts, so the library must be in
//   the container by then. YARN localizes --files into the container's working directory before
//   launching it; Kubernetes executors fetch --files only after their JVM runs, too late, so there
//   the library comes from a volume (or the image).
// - A library the loader cannot load is skipped with a warning, but a library whose own
//   dependencies are missing stops the process: every executor would fail to start. The caller
//   passes the library's dependencies so the output can name what each node must provide.
// - YARN gives each container its own log directory (first entry of LOG_DIRS), which the recorder
//   uses when LEAKSCOPE_DIR is unset and log aggregation collects. On Kubernetes executors of one
//   node share a hostPath volume and may share a pid (each pod numbers its own), so each executor
//   writes to its own subdirectory, named by Kubernetes from the environment Spark sets.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace leakscope::analyzer {

enum class SparkCluster { kYarn, kKubernetes };

struct SparkConfOptions {
  SparkCluster cluster = SparkCluster::kYarn;
  // This installation's recorder library (absolute): shipped (YARN) or mounted (Kubernetes).
  std::string local_library;
  // --lib: the library is already at this absolute path where executors run (every node; the
  // image on Kubernetes): nothing is shipped or mounted. Empty when not given.
  std::string installed_library;
  // --dir: YARN: LEAKSCOPE_DIR on every node (then log aggregation does not see the dumps);
  // Kubernetes: the node directory behind the dump volume. Empty = the default.
  std::string dir;
  std::string interval = "60s";
  std::string sample_bytes = "128K";
  // Shared libraries the recorder needs beyond glibc (DT_NEEDED), e.g. libunwind.so.8, and
  // whether they are known (false when --lib names a file that is not on this machine).
  std::vector<std::string> needed;
  bool needed_known = true;
  // Java frames (the preloaded library joins the JVM by itself: no JVM option); false sets
  // LEAKSCOPE_JAVA_STACKS=0.
  bool java_frames = true;
  // How to invoke this leakscope in the printed commands.
  std::string leakscope = "leakscope";
};

struct SparkConf {
  SparkCluster cluster = SparkCluster::kYarn;
  std::vector<std::string> files;                         // for --files (YARN)
  std::vector<std::pair<std::string, std::string>> conf;  // --conf key=value, in order
  std::vector<std::string> needed;                        // what every node must provide
  std::vector<std::string> about;    // sentences for the comment above the options
  std::string dumps;                 // where the dumps land, for a person
  std::vector<std::string> collect;  // shell lines that bring dumps back and analyse them
};

inline constexpr char kK8sDumpMount[] = "/leakscope";
// For `yarn logs -log_files_pattern`. Hadoop's LogsCLI matches with Matcher.find(), so an
// unanchored pattern also picks up the recorder's temporaries (.leakscope.<pid>.<seq>.dump.tmp).
inline constexpr char kYarnDumpPattern[] = "^leakscope\\.[0-9]+\\.[0-9]+\\.dump$";
inline constexpr char kK8sDefaultHostDir[] = "/var/log/leakscope";
inline constexpr char kK8sLibraryMount[] = "/opt/leakscope/lib";

SparkConf BuildSparkConf(const SparkConfOptions& options);

// Keeps the sonames a node cannot be assumed to have: everything but glibc's own libraries.
std::vector<std::string> NonGlibcLibraries(const std::vector<std::string>& needed);

// `arg` quoted for a POSIX shell when it holds anything but [A-Za-z0-9_./=:,+@%-].
std::string ShellQuote(const std::string& arg);

// spark-submit options, one per line with backslash continuations, between # comments.
void FormatSparkSubmit(const SparkConf& conf, std::string* out);
// spark-defaults.conf lines ("key value"); --files becomes spark.yarn.dist.files.
void FormatSparkProperties(const SparkConf& conf, std::string* out);
// The same as JSON (docs/json.md).
void FormatSparkJson(const SparkConf& conf, std::string* out);

}  // namespace leakscope::analyzer
