// SPDX-License-Identifier: Apache-2.0
// Symbolizes return addresses of this very test binary (built with -O2 -g): names, files,
// lines, inlined frames, and the cases where no name must be given.
#include "symbolize/symbolizer.h"

#include <elf.h>
#include <gtest/gtest.h>
#include <link.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "loaded_module.h"
#include "run_program.h"
#include "temp_dir.h"

namespace leakscope {
// The functions below stay in namespace leakscope: the assertions name them as the symbolizer
// reads them back from this binary's DWARF.
using namespace analyzer;
namespace {

volatile uint64_t g_sink;
int g_line_plain, g_line_inner, g_line_outer;

// Returns its return address and stores `line` (the caller's __LINE__, passed in the same
// statement as the call, so the two agree however the code is formatted).
__attribute__((noinline)) uint64_t ReturnAddress(int line, int* line_out) {
  *line_out = line;
  return reinterpret_cast<uint64_t>(__builtin_return_address(0));
}

__attribute__((noinline)) uint64_t PlainCaller() {
  uint64_t pc = ReturnAddress(__LINE__, &g_line_plain);
  g_sink = pc + 1;  // keeps the call from becoming a tail call
  return pc;
}

inline __attribute__((always_inline)) uint64_t InlinedHelper(int outer_line) {
  g_line_outer = outer_line;
  uint64_t pc = ReturnAddress(__LINE__, &g_line_inner);
  g_sink = pc + 2;
  return pc;
}

__attribute__((noinline)) uint64_t InlineOuter() {
  uint64_t pc = InlinedHelper(__LINE__);
  g_sink = pc + 3;
  return pc;
}

// The main executable's module as the recorder would describe it.
ModuleInfo SelfModule() { return testing::LoadedModule(reinterpret_cast<uintptr_t>(&PlainCaller)); }

struct Symbolized {
  std::vector<Frame> frames;
  std::string warnings;
};

Symbolized Symbolize(const ModuleInfo& module, std::vector<uint64_t> pcs,
                     SymbolizerOptions options = {}) {
  Dump dump;
  dump.modules.push_back(module);
  SiteInfo site;
  site.fixed.site_id = 1;
  site.pcs = std::move(pcs);
  dump.sites.push_back(site);
  FILE* warnings = tmpfile();
  options.warnings = warnings;
  Symbolizer symbolizer(options);
  Symbolizer::DumpView view = symbolizer.View(dump);
  Symbolized result;
  for (int round = 0; round < 2; ++round) {  // the second round must come from the cache
    uint32_t stack = symbolizer.StackOf(view, dump.sites[0]);
    result.frames.clear();
    for (uint32_t id : symbolizer.stacks().Get(stack)) {
      result.frames.push_back(symbolizer.frames().Get(id));
    }
  }
  rewind(warnings);
  char line[512];
  while (fgets(line, sizeof(line), warnings) != nullptr) result.warnings += line;
  fclose(warnings);
  return result;
}

TEST(Symbolizer, NamesFunctionFileAndLine) {
  uint64_t pc = PlainCaller();
  Symbolized s = Symbolize(SelfModule(), {pc});
  ASSERT_EQ(s.frames.size(), 1u);
  EXPECT_EQ(s.frames[0].function, "leakscope::(anonymous namespace)::PlainCaller()");
  EXPECT_TRUE(s.frames[0].file.ends_with("tests/analyzer/symbolizer_test.cc")) << s.frames[0].file;
  EXPECT_EQ(s.frames[0].line, static_cast<uint32_t>(g_line_plain));
  EXPECT_FALSE(s.frames[0].inlined);
  EXPECT_EQ(s.warnings, "");
}

TEST(Symbolizer, ExpandsInlinedFrames) {
  uint64_t pc = InlineOuter();
  Symbolized s = Symbolize(SelfModule(), {pc});
  ASSERT_EQ(s.frames.size(), 2u);
  // Inlined functions are named from DWARF: qualified, without parameters when DWARF has no
  // linkage name for them.
  EXPECT_TRUE(s.frames[0].function.starts_with("leakscope::(anonymous namespace)::InlinedHelper"))
      << s.frames[0].function;
  EXPECT_EQ(s.frames[0].line, static_cast<uint32_t>(g_line_inner));
  EXPECT_TRUE(s.frames[0].inlined);
  EXPECT_EQ(s.frames[1].function, "leakscope::(anonymous namespace)::InlineOuter()");
  EXPECT_EQ(s.frames[1].line, static_cast<uint32_t>(g_line_outer));
  EXPECT_TRUE(s.frames[1].file.ends_with("symbolizer_test.cc"));
  EXPECT_FALSE(s.frames[1].inlined);
}

TEST(Symbolizer, AddressOutsideEverySymbolHasNoName) {
  ModuleInfo self = SelfModule();
  // The ELF header lies in the first PT_LOAD segment but in no function.
  uint64_t pc = self.fixed.bias + 0x11;
  ASSERT_GE(pc - 1, self.fixed.start);
  Symbolized s = Symbolize(self, {pc});
  ASSERT_EQ(s.frames.size(), 1u);
  EXPECT_EQ(s.frames[0].function, "");
  std::string base = self.path.substr(self.path.rfind('/') + 1);
  EXPECT_EQ(s.frames[0].DisplayName(), base + "+0x11");
}

TEST(Symbolizer, BuildIdMismatchGivesOffsetsAndOneWarning) {
  ModuleInfo self = SelfModule();
  ASSERT_FALSE(self.build_id.empty());
  self.build_id[0] ^= 0x5a;
  uint64_t a = PlainCaller(), b = InlineOuter();
  Symbolized s = Symbolize(self, {a, b, a});
  ASSERT_EQ(s.frames.size(), 3u);
  std::string base = self.path.substr(self.path.rfind('/') + 1);
  char expected[64];
  snprintf(expected, sizeof(expected), "+0x%llx",
           static_cast<unsigned long long>(a - self.fixed.bias));
  EXPECT_EQ(s.frames[0].DisplayName(), base + expected);
  EXPECT_EQ(s.frames[0].function, "");
  EXPECT_EQ(s.frames[1].function, "");
  EXPECT_NE(s.warnings.find("build-id mismatch"), std::string::npos) << s.warnings;
  EXPECT_EQ(std::count(s.warnings.begin(), s.warnings.end(), '\n'), 1) << s.warnings;
}

TEST(Symbolizer, MissingFileGivesOffsetsAndOneWarning) {
  ModuleInfo module;
  module.path = "/nonexistent/dir/libgone.so";
  module.build_id = "\x01\x02\x03\x04";
  module.fixed.start = 0x7f0000000000;
  module.fixed.end = 0x7f0000100000;
  module.fixed.bias = 0x7f0000000000;
  Symbolized s = Symbolize(module, {0x7f0000001235, 0x7f0000002000});
  ASSERT_EQ(s.frames.size(), 2u);
  EXPECT_EQ(s.frames[0].DisplayName(), "libgone.so+0x1235");
  EXPECT_EQ(s.frames[1].DisplayName(), "libgone.so+0x2000");
  EXPECT_EQ(s.warnings,
            "leakscope: warning: /nonexistent/dir/libgone.so: not found (nor a debug file for its "
            "build-id); its frames are shown as libgone.so+0xOFFSET\n");
}

TEST(Symbolizer, PcInNoModuleIsJit) {
  ModuleInfo self = SelfModule();
  Symbolized s = Symbolize(self, {0x10});
  ASSERT_EQ(s.frames.size(), 1u);
  EXPECT_EQ(s.frames[0].DisplayName(), "[jit]");
  EXPECT_EQ(s.frames[0].module, "[jit]");
}

TEST(Symbolizer, ARunOfUnnamedJitFramesIsOneFrame) {
  // The same call path before and after the JIT recompiled it with more inlining: one stack.
  ModuleInfo self = SelfModule();
  uint64_t caller = reinterpret_cast<uint64_t>(&Symbolize) + 1;
  Symbolized before = Symbolize(self, {0x10, 0x20, caller});
  Symbolized after = Symbolize(self, {0x30, 0x40, 0x50, 0x60, caller});
  ASSERT_EQ(before.frames.size(), 2u);
  EXPECT_EQ(before.frames[0].DisplayName(), "[jit]");
  ASSERT_EQ(after.frames.size(), 2u);
  EXPECT_EQ(after.frames[0], before.frames[0]);
  EXPECT_EQ(after.frames[1], before.frames[1]);
}

TEST(Symbolizer, FindsFilesUnderSysrootAndDebugInfoInDebugDir) {
  testing::RunResult which = testing::RunShell("command -v objcopy");
  if (which.exit_code != 0) GTEST_SKIP() << "objcopy not installed";
  std::string objcopy_path = which.out.substr(0, which.out.find('\n'));
  ModuleInfo self = SelfModule();
  testing::TempDir temp;
  const std::string& root = temp.path();
  // As on an analysis machine: the binary (without DWARF) under the sysroot at its recorded
  // path, its DWARF in a separate debug directory named by build-id.
  std::string binary = root + "/sysroot" + self.path;
  std::string hex;
  for (unsigned char c : self.build_id) {
    char byte[3];
    snprintf(byte, sizeof(byte), "%02x", c);
    hex += byte;
  }
  std::string debug =
      root + "/debug/.build-id/" + hex.substr(0, 2) + "/" + hex.substr(2) + ".debug";
  std::filesystem::create_directories(std::filesystem::path(binary).parent_path());
  std::filesystem::create_directories(std::filesystem::path(debug).parent_path());
  for (const char* what : {"--strip-debug", "--only-keep-debug"}) {
    testing::RunOptions objcopy;
    objcopy.args = {what, self.path, what[2] == 's' ? binary : debug};
    testing::RunResult r = testing::RunProgram(objcopy_path, objcopy);
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
  }
  uint64_t pc = PlainCaller();

  SymbolizerOptions sysroot_only;
  sysroot_only.resolver.sysroot = root + "/sysroot";
  // Only the build-id directory under the sysroot and /usr/lib/debug are searched: the symbol
  // table still names the function, but there is no line.
  Symbolized names = Symbolize(self, {pc}, sysroot_only);
  ASSERT_EQ(names.frames.size(), 1u);
  EXPECT_EQ(names.frames[0].function, "leakscope::(anonymous namespace)::PlainCaller()");
  EXPECT_EQ(names.frames[0].file, "");

  SymbolizerOptions with_debug = sysroot_only;
  with_debug.resolver.debug_dirs = {root + "/debug"};
  Symbolized lines = Symbolize(self, {pc}, with_debug);
  ASSERT_EQ(lines.frames.size(), 1u);
  EXPECT_EQ(lines.frames[0].function, "leakscope::(anonymous namespace)::PlainCaller()");
  EXPECT_EQ(lines.frames[0].line, static_cast<uint32_t>(g_line_plain));
  EXPECT_EQ(lines.warnings, "");

  // A file at the build-id path whose own build-id differs is not used.
  std::filesystem::copy_file("/bin/sh", debug, std::filesystem::copy_options::overwrite_existing);
  Symbolized impostor = Symbolize(self, {pc}, with_debug);
  ASSERT_EQ(impostor.frames.size(), 1u);
  EXPECT_EQ(impostor.frames[0].function, "leakscope::(anonymous namespace)::PlainCaller()");
  EXPECT_EQ(impostor.frames[0].file, "");
}

TEST(Symbolizer, NamesJitFramesFromAPerfMap) {
  testing::TempDir temp;
  std::string path = temp.Sub("perf-1.map");
  ASSERT_TRUE(testing::WriteFile(path, "10000 100 Ljava/util/zip/Inflater;::inflate\n"));
  SymbolizerOptions options;
  options.perf_maps = {path};
  Symbolized s = Symbolize(SelfModule(), {0x10010, 0x10020, 0x20000, 0x20010}, options);
  // Named frames stay one each; the unnamed ones after them are one run.
  ASSERT_EQ(s.frames.size(), 3u);
  EXPECT_EQ(s.frames[0].DisplayName(), "Ljava/util/zip/Inflater;::inflate");
  EXPECT_EQ(s.frames[0].module, "[jit]");
  EXPECT_EQ(s.frames[1].DisplayName(), "Ljava/util/zip/Inflater;::inflate");
  EXPECT_EQ(s.frames[2].DisplayName(), "[jit]");
}

// The first frame's display name and module file name of one site of `dump`.
std::string FirstFrame(const Dump& dump, const SiteInfo& site) {
  SymbolizerOptions options;
  options.warnings = nullptr;
  Symbolizer symbolizer(options);
  Symbolizer::DumpView view = symbolizer.View(dump);
  std::span<const uint32_t> stack = symbolizer.stacks().Get(symbolizer.StackOf(view, site));
  if (stack.empty()) return "(none)";
  const Frame& frame = symbolizer.frames().Get(stack[0]);
  return frame.DisplayName() + " [" + std::filesystem::path(frame.module).filename().string() + "]";
}

// A library unloaded (this binary, in epochs [0, 1)) and another mapped over its range since
// (libgone.so, from epoch 1 on): each PC is named after the module of its site's epoch.
TEST(Symbolizer, NamesAPcAfterTheModuleMappedInItsSitesEpoch) {
  uint64_t pc = PlainCaller();
  Dump dump;
  ModuleInfo gone_first = SelfModule();
  gone_first.fixed.flags = format::kModuleUnloaded;
  gone_first.epochs_known = true;
  gone_first.epochs = {0, 1};
  ModuleInfo since = gone_first;
  since.path = "/nonexistent/dir/libgone.so";
  since.build_id = "\x01\x02\x03\x04";
  since.fixed.flags = 0;
  since.epochs = {1, format::kEpochNever};
  dump.modules = {since, gone_first};  // order must not matter
  const std::string self_name = std::filesystem::path(gone_first.path).filename().string();
  const std::string plain = "leakscope::(anonymous namespace)::PlainCaller()";
  char offset[32];
  snprintf(offset, sizeof(offset), "+0x%llx",
           static_cast<unsigned long long>(pc - since.fixed.bias));

  SiteInfo site;
  site.fixed.site_id = 1;
  site.pcs = {pc};
  site.epoch_known = true;
  site.epoch = 0;
  EXPECT_EQ(FirstFrame(dump, site), plain + " [" + self_name + "]");
  site.epoch = 1;
  EXPECT_EQ(FirstFrame(dump, site), std::string("libgone.so") + offset + " [libgone.so]");
  site.epoch = 7;  // later dlcloses of other libraries: still the module mapped now
  EXPECT_EQ(FirstFrame(dump, site), std::string("libgone.so") + offset + " [libgone.so]");

  // A site without an epoch (a dump from before epochs): the module still loaded wins.
  site.epoch_known = false;
  site.epoch = 0;
  EXPECT_EQ(FirstFrame(dump, site), std::string("libgone.so") + offset + " [libgone.so]");
  // Modules without epochs: likewise, whatever the site says.
  site.epoch_known = true;
  for (ModuleInfo& module : dump.modules) module.epochs_known = false;
  EXPECT_EQ(FirstFrame(dump, site), std::string("libgone.so") + offset + " [libgone.so]");

  // The other way round: the loaded module is this binary, the unloaded one is gone.
  dump.modules = {gone_first, since};
  dump.modules[0].fixed.flags = 0;
  dump.modules[0].epochs = {1, format::kEpochNever};
  dump.modules[1].fixed.flags = format::kModuleUnloaded;
  dump.modules[1].epochs = {0, 1};
  site.epoch = 0;
  EXPECT_EQ(FirstFrame(dump, site), std::string("libgone.so") + offset + " [libgone.so]");
  site.epoch = 1;
  EXPECT_EQ(FirstFrame(dump, site), plain + " [" + self_name + "]");
}

}  // namespace
}  // namespace leakscope
