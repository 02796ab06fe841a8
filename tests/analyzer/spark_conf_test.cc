// SPDX-License-Identifier: Apache-2.0
// The settings spark-conf builds, independent of the installation (the binary's output is
// parsed back by spark_conf_parse_back.sh).
#include "spark/spark_conf.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "json_value.h"

namespace leakscope::analyzer {
namespace {

std::map<std::string, std::string> ConfMap(const SparkConf& conf) {
  std::map<std::string, std::string> map;
  for (const auto& [key, value] : conf.conf) EXPECT_TRUE(map.emplace(key, value).second) << key;
  return map;
}

SparkConfOptions Options(SparkCluster cluster) {
  SparkConfOptions options;
  options.cluster = cluster;
  options.local_library = "/opt/leakscope/lib/libleakscope.so";
  options.needed = {"libunwind.so.8"};
  return options;
}

TEST(SparkConf, YarnShipsTheLibraryAndLeavesTheDumpDirectoryToLogDirs) {
  SparkConf conf = BuildSparkConf(Options(SparkCluster::kYarn));
  EXPECT_EQ(conf.files, (std::vector<std::string>{"/opt/leakscope/lib/libleakscope.so"}));
  EXPECT_EQ(ConfMap(conf), (std::map<std::string, std::string>{
                               {"spark.executorEnv.LD_PRELOAD", "./libleakscope.so"},
                               {"spark.executorEnv.LEAKSCOPE_PROCESS", "java"},
                               {"spark.executorEnv.LEAKSCOPE_INTERVAL", "60s"},
                               {"spark.executorEnv.LEAKSCOPE_SAMPLE_BYTES", "128K"},
                           }));
  ASSERT_EQ(conf.collect.size(), 4u);
  EXPECT_EQ(conf.collect[1],
            "yarn logs -applicationId <application id> -log_files_pattern "
            "'^leakscope\\.[0-9]+\\.[0-9]+\\.dump$' -out yarn-dumps");
  EXPECT_EQ(conf.collect[2], "leakscope unpack yarn-dumps -o dumps");
  EXPECT_EQ(conf.collect[3], "leakscope trend dumps");
}

TEST(SparkConf, YarnWithAnInstalledLibraryAndADirectoryShipsNothing) {
  SparkConfOptions options = Options(SparkCluster::kYarn);
  options.installed_library = "/usr/local/lib/libleakscope.so";
  options.dir = "/var/tmp/leakscope";
  options.interval = "30s";
  SparkConf conf = BuildSparkConf(options);
  EXPECT_TRUE(conf.files.empty());
  auto map = ConfMap(conf);
  EXPECT_EQ(map["spark.executorEnv.LD_PRELOAD"], "/usr/local/lib/libleakscope.so");
  EXPECT_FALSE(map.contains("spark.executor.extraJavaOptions"));
  EXPECT_EQ(map["spark.executorEnv.LEAKSCOPE_DIR"], "/var/tmp/leakscope");
  EXPECT_EQ(map["spark.executorEnv.LEAKSCOPE_INTERVAL"], "30s");
}

TEST(SparkConf, KubernetesMountsTheLibraryAndGivesEachExecutorItsOwnDumpDirectory) {
  SparkConf conf = BuildSparkConf(Options(SparkCluster::kKubernetes));
  EXPECT_TRUE(conf.files.empty());  // executors fetch --files after their JVM started
  const std::string volumes = "spark.kubernetes.executor.volumes.hostPath.";
  EXPECT_EQ(ConfMap(conf),
            (std::map<std::string, std::string>{
                {volumes + "leakscope-lib.mount.path", "/opt/leakscope/lib"},
                {volumes + "leakscope-lib.mount.readOnly", "true"},
                {volumes + "leakscope-lib.options.path", "/opt/leakscope/lib"},
                {volumes + "leakscope.mount.path", "/leakscope"},
                {volumes + "leakscope.options.path", "/var/log/leakscope"},
                {"spark.executorEnv.LD_PRELOAD", "/opt/leakscope/lib/libleakscope.so"},
                {"spark.executorEnv.LEAKSCOPE_DIR",
                 "/leakscope/$(SPARK_APPLICATION_ID)-$(SPARK_EXECUTOR_ID)"},
                {"spark.executorEnv.LEAKSCOPE_PROCESS", "java"},
                {"spark.executorEnv.LEAKSCOPE_INTERVAL", "60s"},
                {"spark.executorEnv.LEAKSCOPE_SAMPLE_BYTES", "128K"},
            }));
}

// A JVM whose -agentpath library is missing refuses to start: no JVM option, ever. Java frames
// come from the preloaded library itself; --no-java-frames turns them off in the recorder.
TEST(SparkConf, NoJavaFramesTurnsThemOffInTheRecorderWithoutAnyJvmOption) {
  SparkConfOptions options = Options(SparkCluster::kYarn);
  options.java_frames = false;
  auto map = ConfMap(BuildSparkConf(options));
  EXPECT_FALSE(map.contains("spark.executor.extraJavaOptions"));
  EXPECT_EQ(map["spark.executorEnv.LEAKSCOPE_JAVA_STACKS"], "0");
  EXPECT_FALSE(ConfMap(BuildSparkConf(Options(SparkCluster::kYarn)))
                   .contains("spark.executorEnv.LEAKSCOPE_JAVA_STACKS"));
}

TEST(SparkConf, NamesTheLibrariesEveryNodeMustProvide) {
  SparkConf conf = BuildSparkConf(Options(SparkCluster::kYarn));
  std::string out;
  FormatSparkSubmit(conf, &out);
  EXPECT_NE(out.find("libunwind.so.8 (Debian/Ubuntu package libunwind8"), std::string::npos);
  EXPECT_EQ(NonGlibcLibraries({"libunwind.so.8", "libm.so.6", "libc.so.6", "ld-linux-x86-64.so.2",
                               "libstdc++.so.6"}),
            (std::vector<std::string>{"libunwind.so.8", "libstdc++.so.6"}));
}

TEST(SparkConf, SubmitFormatQuotesForTheShellAndContinuesEveryOptionLine) {
  SparkConf conf = BuildSparkConf(Options(SparkCluster::kKubernetes));
  std::string out;
  FormatSparkSubmit(conf, &out);
  EXPECT_NE(out.find("--conf 'spark.executorEnv.LEAKSCOPE_DIR=/leakscope/$(SPARK_APPLICATION_ID)-"
                     "$(SPARK_EXECUTOR_ID)' \\\n"),
            std::string::npos)
      << out;
  size_t options = 0;
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    std::string line = out.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    ++options;
    EXPECT_TRUE(line.starts_with("--conf ") || line.starts_with("--files ")) << line;
    EXPECT_TRUE(line.ends_with(" \\")) << line;
  }
  EXPECT_EQ(options, conf.conf.size());
}

TEST(SparkConf, ShellQuoteLeavesPlainWordsAndQuotesTheRest) {
  EXPECT_EQ(ShellQuote("spark.executorEnv.X=./a-b_c,1:2@3%4+5"),
            "spark.executorEnv.X=./a-b_c,1:2@3%4+5");
  EXPECT_EQ(ShellQuote("a b"), "'a b'");
  EXPECT_EQ(ShellQuote("$(X)"), "'$(X)'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote(""), "''");
}

TEST(SparkConf, JsonCarriesTheSameSettings) {
  SparkConf conf = BuildSparkConf(Options(SparkCluster::kYarn));
  std::string out;
  FormatSparkJson(conf, &out);
  testing::JsonValue json;
  ASSERT_TRUE(testing::ParseJson(out, &json));
  EXPECT_EQ(json["leakscope_json"].UInt(), 1u);
  EXPECT_EQ(json["command"].String(), "spark-conf");
  EXPECT_EQ(json["cluster"].String(), "yarn");
  ASSERT_EQ(json["files"].size(), 1u);
  EXPECT_EQ(json["files"][0].String(), "/opt/leakscope/lib/libleakscope.so");
  ASSERT_EQ(json["needed_libraries"].size(), 1u);
  EXPECT_EQ(json["needed_libraries"][0].String(), "libunwind.so.8");
  // Every --conf setting, in the same order and with the same value.
  std::vector<std::pair<std::string, std::string>> settings;
  for (const auto& [key, value] : json["conf"].members())
    settings.emplace_back(key, value.String());
  EXPECT_EQ(settings, conf.conf);
  EXPECT_EQ(json["conf"]["spark.executorEnv.LD_PRELOAD"].String(), "./libleakscope.so");
  EXPECT_EQ(json["dumps"].String(), conf.dumps);
  ASSERT_EQ(json["collect"].size(), conf.collect.size());
  for (size_t i = 0; i < conf.collect.size(); ++i) {
    EXPECT_EQ(json["collect"][i].String(), conf.collect[i]);
  }
}

}  // namespace
}  // namespace leakscope::analyzer
