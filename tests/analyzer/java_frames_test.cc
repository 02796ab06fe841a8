// SPDX-License-Identifier: Apache-2.0
// Java frames: naming (class, method, line) and splicing into native stacks. Modules here point
// to paths that do not exist, so native frames print as module+0xoffset.
#include "symbolize/java_frames.h"

#include <gtest/gtest.h>

#include <iterator>

#include "analysis/report.h"
#include "gunzip.h"
#include "output/format_report.h"
#include "symbolize/allocator_frames.h"
#include "symbolize/symbolizer.h"

namespace leakscope::analyzer {
namespace {

// Symbolizer options with warnings off (the synthetic dumps name modules that do not exist).
SymbolizerOptions QuietOptions() {
  SymbolizerOptions options;
  options.warnings = nullptr;
  return options;
}

constexpr uint64_t kLibzip = 0x7f0000000000;  // /nonexistent/libzip.so
constexpr uint64_t kLibjvm = 0x7f0000100000;  // /nonexistent/libjvm.so
constexpr uint64_t kInit = 0x7f0001000008;    // method ids
constexpr uint64_t kOpen = 0x7f0001000010;
constexpr uint64_t kGone = 0x7f0001000018;

JavaMethodRecord Method(uint64_t id, std::string klass, std::string name, std::string file,
                        std::vector<std::pair<uint32_t, uint32_t>> lines) {
  JavaMethodRecord m;
  m.fixed.method_id = id;
  m.fixed.flags = format::kJavaMethodResolved;
  m.fixed.line_count = static_cast<uint32_t>(lines.size());
  m.class_signature = std::move(klass);
  m.name = std::move(name);
  m.signature = "()V";
  m.source_file = std::move(file);
  m.lines = std::move(lines);
  return m;
}

Dump JvmDump() {
  Dump dump;
  dump.process.fixed.pid = 1;
  for (auto [path, base] : {std::pair{"/nonexistent/libzip.so", kLibzip},
                            std::pair{"/nonexistent/libjvm.so", kLibjvm}}) {
    ModuleInfo module;
    module.fixed.start = module.fixed.bias = base;
    module.fixed.end = base + 0x100000;
    module.path = path;
    dump.modules.push_back(module);
  }
  dump.java_methods.push_back(
      Method(kInit, "Ljava/util/zip/Inflater;", "<init>", "Inflater.java", {{0, 130}, {9, 131}}));
  dump.java_methods.push_back(
      Method(kOpen, "LTableMetadataCache;", "open", "TableMetadataCache.java", {{0, 29}}));
  JavaMethodRecord gone = Method(kGone, "", "", "", {});
  gone.fixed.flags = 0;  // the class was unloaded before the agent named it
  dump.java_methods.push_back(gone);
  return dump;
}

// Display names of the symbolized stack of `pcs` in `dump`.
std::vector<std::string> Names(const Dump& dump, std::vector<uint64_t> pcs) {
  Symbolizer symbolizer(QuietOptions());
  Symbolizer::DumpView view = symbolizer.View(dump);
  SiteInfo site;
  site.pcs = std::move(pcs);
  std::vector<std::string> names;
  for (uint32_t id : symbolizer.stacks().Get(symbolizer.StackOf(view, site))) {
    const Frame& frame = symbolizer.frames().Get(id);
    names.push_back(frame.kind == FrameKind::kJava ? frame.JavaText() : frame.DisplayName());
  }
  return names;
}

TEST(JavaClassName, TurnsJvmSignaturesIntoDottedNames) {
  EXPECT_EQ(JavaClassName("Ljava/util/zip/GZIPInputStream;"), "java.util.zip.GZIPInputStream");
  EXPECT_EQ(JavaClassName("LStreamingJob;"), "StreamingJob");
  EXPECT_EQ(JavaClassName("Ljava/util/Map$Entry;"), "java.util.Map$Entry");
  EXPECT_EQ(JavaClassName("[Ljava/lang/Object;"), "[Ljava.lang.Object;");
}

TEST(JavaClassName, DropsTheAddressOfAHiddenClass) {
  EXPECT_EQ(JavaClassName("LJob$$Lambda$2.0x00007feb48001a60;"), "Job$$Lambda$2");
  EXPECT_EQ(JavaClassName("Lp/Job$$Lambda$2+0x00007feb48001a60;"), "p.Job$$Lambda$2");
  EXPECT_EQ(JavaClassName("Lp/Job$$Lambda/0x7f;"), "p.Job$$Lambda");
  EXPECT_EQ(JavaClassName("Lp/Job$0x;"), "p.Job$0x");  // nothing after 0x: not an address
}

TEST(JavaLineAt, TakesTheLastEntryStartingAtOrBeforeTheBci) {
  std::vector<std::pair<uint32_t, uint32_t>> lines = {{0, 10}, {5, 11}, {9, 14}};
  EXPECT_EQ(JavaLineAt(lines, 0), 10u);
  EXPECT_EQ(JavaLineAt(lines, 4), 10u);
  EXPECT_EQ(JavaLineAt(lines, 5), 11u);
  EXPECT_EQ(JavaLineAt(lines, 100), 14u);
  EXPECT_EQ(JavaLineAt(lines, -1), 0u);
  std::vector<std::pair<uint32_t, uint32_t>> late = {{3, 7}};
  EXPECT_EQ(JavaLineAt(late, 2), 0u);
  EXPECT_EQ(JavaLineAt({}, 2), 0u);
}

TEST(MakeJavaFrame, NamesMethodFileAndLine) {
  JavaMethodRecord m =
      Method(kInit, "Ljava/util/zip/Inflater;", "<init>", "Inflater.java", {{0, 130}, {9, 131}});
  Frame frame = MakeJavaFrame(&m, kInit, 12);
  EXPECT_EQ(frame.kind, FrameKind::kJava);
  EXPECT_EQ(frame.function, "java.util.zip.Inflater.<init>");
  EXPECT_EQ(frame.file, "Inflater.java");
  EXPECT_EQ(frame.line, 131u);
  EXPECT_EQ(frame.module, "");
  EXPECT_EQ(frame.address, 0u);
  EXPECT_FALSE(frame.allocator);
  EXPECT_EQ(frame.JavaText(), "java.util.zip.Inflater.<init>(Inflater.java:131)");
}

TEST(MakeJavaFrame, NativeMethodsAndMissingLinesPrintAsJavaDoes) {
  JavaMethodRecord native = Method(kInit, "Ljava/util/zip/Inflater;", "init", "Inflater.java", {});
  EXPECT_EQ(MakeJavaFrame(&native, kInit, -1).JavaText(),
            "java.util.zip.Inflater.init(Native Method)");
  EXPECT_EQ(MakeJavaFrame(&native, kInit, 3).JavaText(),
            "java.util.zip.Inflater.init(Inflater.java)");
  JavaMethodRecord no_source = Method(kOpen, "LGenerated;", "run", "", {});
  EXPECT_EQ(MakeJavaFrame(&no_source, kOpen, 3).JavaText(), "Generated.run(Unknown Source)");
}

TEST(MakeJavaFrame, UnknownAndUnresolvedMethodsShowTheirId) {
  Frame unknown = MakeJavaFrame(nullptr, kOpen, 4);
  EXPECT_EQ(unknown.DisplayName(), "[java method 0x7f0001000010]");
  EXPECT_EQ(unknown.JavaText(), "[java method 0x7f0001000010]");
  EXPECT_EQ(unknown.function, "");  // JSON says symbolized: false
  JavaMethodRecord gone = Method(kGone, "LGone;", "run", "Gone.java", {{0, 1}});
  gone.fixed.flags = 0;
  EXPECT_EQ(MakeJavaFrame(&gone, kGone, 0).DisplayName(), "[java method 0x7f0001000018]");
  // A frame AsyncGetCallTrace gave without a method id.
  EXPECT_EQ(MakeJavaFrame(nullptr, 0, 4).DisplayName(), "[unknown java method]");
}

TEST(JavaSplice, JavaFramesReplaceTheJvmCodeAndWhatFollows) {
  Dump dump = JvmDump();
  std::vector<std::string> expected = {
      "libzip.so+0x3000",
      "java.util.zip.Inflater.<init>(Inflater.java:131)",
      "TableMetadataCache.open(TableMetadataCache.java:29)",
  };
  // Interpreter/JIT code, then JavaCalls::call_helper ... thread start in libjvm.
  EXPECT_EQ(Names(dump, {kLibzip + 0x3000, 0x10001000, kLibjvm + 0x100, 0x10002000,
                         kLibjvm + 0x5000, kLibjvm + 0x6000, format::EncodeJavaFrame(kInit, 9),
                         format::EncodeJavaFrame(kOpen, 40)}),
            expected);
  // The same path once compiled: fewer JIT frames, and the unwinder stopped inside them.
  EXPECT_EQ(Names(dump, {kLibzip + 0x3000, 0x10003000, format::EncodeJavaFrame(kInit, 12),
                         format::EncodeJavaFrame(kOpen, 44)}),
            expected);
}

TEST(JavaSplice, WithoutJvmCodeJavaFramesFollowTheNativeOnes) {
  Dump dump = JvmDump();
  EXPECT_EQ(Names(dump, {kLibzip + 0x3000, kLibjvm + 0x100, format::EncodeJavaFrame(kOpen, 0),
                         format::EncodeJavaFrame(kGone, 3), format::EncodeJavaFrame(0x8, 1)}),
            (std::vector<std::string>{"libzip.so+0x3000", "libjvm.so+0x100",
                                      "TableMetadataCache.open(TableMetadataCache.java:29)",
                                      "[java method 0x7f0001000018]", "[java method 0x8]"}));
}

TEST(JavaSplice, StacksWithoutJavaFramesKeepTheirJitFrames) {
  Dump dump = JvmDump();
  EXPECT_EQ(Names(dump, {kLibzip + 0x3000, 0x10001000, 0x10002000, kLibjvm + 0x5000}),
            (std::vector<std::string>{"libzip.so+0x3000", "[jit]", "libjvm.so+0x5000"}));
}

TEST(JavaSplice, OnlyJavaFrames) {
  Dump dump = JvmDump();
  EXPECT_EQ(Names(dump, {format::EncodeJavaFrame(kOpen, 0)}),
            (std::vector<std::string>{"TableMetadataCache.open(TableMetadataCache.java:29)"}));
}

TEST(JavaSplice, TheAllocatingCallerIsTheFirstFrameOutsideTheAllocator) {
  Dump dump = JvmDump();
  ModuleInfo recorder;
  recorder.fixed.start = recorder.fixed.bias = 0x7f0000200000;
  recorder.fixed.end = 0x7f0000210000;
  recorder.path = "/nonexistent/libleakscope.so";
  dump.modules.push_back(recorder);
  Symbolizer symbolizer(QuietOptions());
  Symbolizer::DumpView view = symbolizer.View(dump);
  SiteInfo site;
  site.pcs = {0x7f0000200100, kLibzip + 0x3000, 0x10001000, format::EncodeJavaFrame(kInit, 0)};
  std::span<const uint32_t> stack = symbolizer.stacks().Get(symbolizer.StackOf(view, site));
  ASSERT_EQ(stack.size(), 3u);
  EXPECT_EQ(CallerIndex(symbolizer.frames(), stack), 1);
  // A Java frame is never an allocator frame, even when only Java frames remain.
  site.pcs = {0x7f0000200100, format::EncodeJavaFrame(kInit, 0)};
  stack = symbolizer.stacks().Get(symbolizer.StackOf(view, site));
  EXPECT_EQ(CallerIndex(symbolizer.frames(), stack), 1);
}

// The JVM golden dump (make_java_golden_dumps.cc) in the formats golden files do not show.
TEST(JavaFormats, PprofNamesJavaFunctionsAndFiles) {
  Dump dump;
  std::string error;
  ASSERT_TRUE(ReadDumpFile(std::string(GOLDEN_DIR) + "/../golden_java/leakscope.6161.2.dump", &dump,
                           &error))
      << error;
  Symbolizer symbolizer(QuietOptions());
  Report report = BuildReport(dump, "golden", &symbolizer, /*keep_addresses=*/true);
  std::string out;
  FormatReportPprof(report, symbolizer, 0, &out);
  std::string body = Gunzip(out);
  ASSERT_FALSE(body.empty());
  for (const char* name : {"java.util.zip.Inflater.<init>", "Inflater.java",
                           "TableMetadataCache.open", "[java method 0x7f55000010f8]"}) {
    EXPECT_NE(body.find(name), std::string::npos) << name;
  }
  // The two raw inflate stacks (interpreted, compiled) are one site once spliced.
  size_t inflate_sites = 0;
  for (const SiteSummary& site : report.sites) {
    for (uint32_t id : symbolizer.stacks().Get(site.stack)) {
      if (symbolizer.frames().Get(id).function == "TableMetadataCache.open") ++inflate_sites;
    }
  }
  EXPECT_EQ(inflate_sites, 1u);
  EXPECT_EQ(report.java.walks[0], 300u);
}

TEST(JavaWalkName, NamesEveryWalkResult) {
  // The JSON keys of docs/json.md, by AsyncGetCallTrace's result (index = 1 - result).
  const char* expected[] = {"frames",       "no_java_frame",     "no_class_load",
                            "gc_active",    "unknown_not_java",  "not_walkable_not_java",
                            "unknown_java", "not_walkable_java", "unknown_state",
                            "thread_exit",  "deoptimization",    "safepoint_or_other"};
  static_assert(std::size(expected) == kJavaWalkKinds);
  for (size_t i = 0; i < kJavaWalkKinds; ++i) EXPECT_STREQ(JavaWalkName(i), expected[i]) << i;
  EXPECT_STREQ(JavaWalkName(12), "unknown");
}

}  // namespace
}  // namespace leakscope::analyzer
