// SPDX-License-Identifier: Apache-2.0
// Why a report has no zlib streams: the finding from counters, stacks and the module list.
#include "analysis/zlib_status.h"

#include <gtest/gtest.h>

namespace leakscope::analyzer {
namespace {

ZlibFinding Find(const std::vector<std::string>& modules, uint64_t zlib_calls) {
  Dump dump;
  uint64_t base = 0x7f0000000000;
  for (const std::string& path : modules) {
    ModuleInfo module;
    module.path = path;
    module.fixed.start = module.fixed.bias = base;
    module.fixed.end = base + 0x10000;
    base += 0x100000;
    dump.modules.push_back(module);
  }
  dump.counters.zlib_calls = zlib_calls;
  SymbolizerOptions options;
  options.warnings = nullptr;
  Symbolizer symbolizer(options);
  return FindZlibStatus(dump, {}, symbolizer);
}

TEST(ZlibStatus, InterceptedWhenZlibCallsReachedTheRecorder) {
  ZlibFinding f = Find({"/usr/bin/java", "/lib/x86_64-linux-gnu/libz.so.1"}, 12);
  EXPECT_EQ(f.status, ZlibStatus::kIntercepted);
  EXPECT_EQ(f.module, "/lib/x86_64-linux-gnu/libz.so.1");
}

TEST(ZlibStatus, BundledWhenTheJdksLibzipHasNoLibzBesideIt) {
  // Temurin 25: libzip.so carries its own zlib.
  ZlibFinding f = Find({"/usr/lib/jvm/temurin-25-jdk-amd64/bin/java",
                        "/usr/lib/jvm/temurin-25-jdk-amd64/lib/libzip.so"},
                       0);
  EXPECT_EQ(f.status, ZlibStatus::kBundled);
  EXPECT_EQ(f.module, "/usr/lib/jvm/temurin-25-jdk-amd64/lib/libzip.so");
  EXPECT_STREQ(ZlibStatusName(f.status), "bundled");
}

TEST(ZlibStatus, NoCallsWhenLibzIsLoadedButUnused) {
  ZlibFinding f = Find(
      {"/usr/lib/jvm/java-17-openjdk-amd64/lib/libzip.so", "/lib/x86_64-linux-gnu/libz.so.1"}, 0);
  EXPECT_EQ(f.status, ZlibStatus::kNoCalls);
  EXPECT_EQ(f.module, "/lib/x86_64-linux-gnu/libz.so.1");
}

TEST(ZlibStatus, NotLoadedOtherwise) {
  ZlibFinding f = Find({"/usr/bin/app"}, 0);
  EXPECT_EQ(f.status, ZlibStatus::kNotLoaded);
  EXPECT_EQ(f.module, "");
}

}  // namespace
}  // namespace leakscope::analyzer
