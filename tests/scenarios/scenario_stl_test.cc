// The standard containers' allocations through the whole pipeline: stl_containers runs under the
// preload, then `leakscope report --format json` reads its dump. The allocating caller
// (caller_index) of each leak must be the program's function that used the container, not a
// layer of the library (allocator_traits, _Rb_tree, _Hashtable_alloc ...), built at -O0 and at -O2.
#include <map>
#include <regex>

#include "json_value.h"
#include "scenario_fixture.h"

namespace leakscope::testing {
namespace {

const std::string kLeakscope = LEAKSCOPE_BIN;

class StlContainers : public ::testing::TestWithParam<std::string> {};

TEST_P(StlContainers, TheCallerIsTheFunctionThatUsedTheContainer) {
  TempDir dir;
  RunResult run = RunIn(dir, Program("stl_containers_" + GetParam()), Exact());
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(run.err, "");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(run.out, m, std::regex(R"(buckets ([0-9]+)\n)"))) << run.out;
  const uint64_t buckets = std::stoull(m[1]);
  std::vector<DumpFile> dumps = DumpsOf(dir.path(), run.pid);
  ASSERT_EQ(dumps.size(), 1u);

  RunOptions report;
  report.args = {"report", "--format", "json", dumps[0].path};
  RunResult json_run = RunProgram(kLeakscope, report);
  ASSERT_EQ(json_run.exit_code, 0) << json_run.Describe();
  JsonValue json;
  ASSERT_TRUE(ParseJson(json_run.out, &json));

  // Every site with one of the three functions in its stack: which frame is the caller, and the
  // live bytes and blocks by caller.
  const std::vector<std::string> users = {"vector_reserve()", "map_insert()", "unordered_insert()"};
  std::map<std::string, std::string> live;  // caller -> "<bytes> B in <count>"
  std::map<std::string, std::pair<uint64_t, uint64_t>> sums;
  for (const JsonValue& site : json["sites"].items()) {
    const JsonValue& frames = site["frames"];
    std::string user;
    for (const JsonValue& frame : frames.items()) {
      for (const std::string& name : users) {
        if (frame["function"].String() == name) user = name;
      }
    }
    if (user.empty()) continue;
    int64_t caller = site["caller_index"].Int();
    ASSERT_GE(caller, 0);
    EXPECT_EQ(frames[static_cast<size_t>(caller)]["function"].String(), user)
        << "frames " << caller << " of a site through " << user;
    sums[user].first += site["live_bytes"].UInt();
    sums[user].second += site["live_count"].UInt();
  }
  for (const auto& [user, sum] : sums) {
    live[user] = std::to_string(sum.first) + " B in " + std::to_string(sum.second);
  }
  // vector<long>::reserve(1000); 10 map nodes of 48 B; 10 hash nodes of 24 B and the buckets.
  EXPECT_EQ(live["vector_reserve()"], "8000 B in 1");
  EXPECT_EQ(live["map_insert()"], "480 B in 10");
  EXPECT_EQ(live["unordered_insert()"], std::to_string(240 + 8 * buckets) + " B in 11");
}

INSTANTIATE_TEST_SUITE_P(Optimization, StlContainers, ::testing::Values("O0", "O2"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace leakscope::testing
