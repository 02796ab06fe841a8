// SPDX-License-Identifier: Apache-2.0
// pprof and folded output of a stack of this very test binary (built with -O2 -g) and the C
// library: real return addresses, the mappings they lie in, an inlined call as one location
// with two lines, and the allocator frame named in drop_frames. Checked field by field with
// pprof_profile.h's own decoder, so it needs no Go.
#include <cxxabi.h>
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "analysis/diff.h"
#include "analysis/report.h"
#include "loaded_module.h"
#include "output/format_diff.h"
#include "output/format_report.h"
#include "pprof_profile.h"

namespace leakscope {
// As in symbolizer_test.cc, the functions stay in namespace leakscope: the assertions name them
// as the symbolizer reads them back from this binary's DWARF.
using namespace analyzer;
namespace {

volatile uint64_t g_sink;
int g_line_plain, g_line_inner, g_line_outer;

__attribute__((noinline)) uint64_t PprofReturnAddress(int line, int* line_out) {
  *line_out = line;
  return reinterpret_cast<uint64_t>(__builtin_return_address(0));
}

__attribute__((noinline)) uint64_t PprofPlainCaller() {
  uint64_t pc = PprofReturnAddress(__LINE__, &g_line_plain);
  g_sink = pc + 1;  // keeps the call from becoming a tail call
  return pc;
}

inline __attribute__((always_inline)) uint64_t PprofInlined(int outer_line) {
  g_line_outer = outer_line;
  uint64_t pc = PprofReturnAddress(__LINE__, &g_line_inner);
  g_sink = pc + 2;
  return pc;
}

__attribute__((noinline)) uint64_t PprofInlineOuter() {
  uint64_t pc = PprofInlined(__LINE__);
  g_sink = pc + 3;
  return pc;
}

std::string Hex(const std::string& bytes) {
  std::string out;
  char buf[3];
  for (unsigned char c : bytes) {
    snprintf(buf, sizeof(buf), "%02x", c);
    out += buf;
  }
  return out;
}

constexpr char kNs[] = "leakscope::(anonymous namespace)::";

class PprofAddressesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    malloc_pc_ = reinterpret_cast<uint64_t>(dlsym(RTLD_DEFAULT, "malloc")) + 4;
    inline_pc_ = PprofInlineOuter();
    plain_pc_ = PprofPlainCaller();
    self_ = testing::LoadedModule(plain_pc_);
    libc_ = testing::LoadedModule(malloc_pc_);
    ASSERT_FALSE(self_.path.empty());
    ASSERT_FALSE(libc_.path.empty());
    ASSERT_NE(self_.path, libc_.path);
    ASSERT_FALSE(self_.build_id.empty());
    // The C library first: pprof's first mapping must still be the executable.
    dump_.modules = {libc_, self_};
    dump_.process.executable = self_.path;
    SiteInfo site;
    site.fixed.site_id = 1;
    site.fixed.alloc_count = site.fixed.alloc_est_count = 7;
    site.fixed.alloc_bytes = site.fixed.alloc_est_bytes = 7000;
    site.fixed.free_count = site.fixed.free_est_count = 2;
    site.fixed.free_bytes = site.fixed.free_est_bytes = 2000;
    site.pcs = {malloc_pc_, inline_pc_, plain_pc_};
    dump_.sites.push_back(site);
    SymbolizerOptions options;
    options.warnings = nullptr;
    symbolizer_ = std::make_unique<Symbolizer>(options);
    report_ = BuildReport(dump_, "self", symbolizer_.get(), /*keep_addresses=*/true);
    ASSERT_EQ(report_.sites.size(), 1u);
  }

  const Frame& FrameAt(size_t i) {
    return symbolizer_->frames().Get(symbolizer_->stacks().Get(report_.sites[0].stack)[i]);
  }

  uint64_t malloc_pc_ = 0, inline_pc_ = 0, plain_pc_ = 0;
  ModuleInfo self_, libc_;
  Dump dump_;
  std::unique_ptr<Symbolizer> symbolizer_;
  Report report_;
};

TEST_F(PprofAddressesTest, LocationsAreReturnAddressesWithInlinedLinesInnermostFirst) {
  // The symbolized stack the outputs start from: malloc, the inlined helper, its caller, the
  // plain caller.
  ASSERT_EQ(symbolizer_->stacks().Get(report_.sites[0].stack).size(), 4u);
  const Frame& alloc = FrameAt(0);
  ASSERT_TRUE(alloc.allocator) << alloc.function;
  EXPECT_EQ(FrameAt(1).function, std::string(kNs) + "PprofInlined");
  EXPECT_TRUE(FrameAt(1).inlined);
  EXPECT_EQ(FrameAt(2).function, std::string(kNs) + "PprofInlineOuter()");

  std::string out;
  FormatReportPprof(report_, *symbolizer_, 0, &out);
  pprof::Profile p;
  ASSERT_TRUE(pprof::DecodeProfile(out, &p));

  // Mappings: the executable's code first, then the C library's, as /proc/self/maps shows them.
  testing::CodeMapping exe_code, libc_code;
  ASSERT_TRUE(testing::CodeMappingOf(plain_pc_, &exe_code));
  ASSERT_TRUE(testing::CodeMappingOf(malloc_pc_, &libc_code));
  ASSERT_EQ(p.mappings.size(), 2u);
  const pprof::Mapping& exe = p.mappings[0];
  EXPECT_EQ(p.String(exe.filename), self_.path);
  EXPECT_EQ(exe.memory_start, exe_code.start);
  EXPECT_EQ(exe.memory_limit, exe_code.limit);
  EXPECT_EQ(exe.file_offset, exe_code.offset);
  EXPECT_EQ(p.String(exe.build_id), Hex(self_.build_id));
  // Every frame of the executable has a name, a file and a line (DWARF).
  EXPECT_TRUE(exe.has_functions && exe.has_filenames && exe.has_line_numbers &&
              exe.has_inline_frames);
  const pprof::Mapping& libc = p.mappings[1];
  EXPECT_EQ(p.String(libc.filename), libc_.path);
  EXPECT_EQ(libc.memory_start, libc_code.start);
  EXPECT_EQ(libc.memory_limit, libc_code.limit);
  EXPECT_EQ(libc.file_offset, libc_code.offset);
  EXPECT_EQ(p.String(libc.build_id), Hex(libc_.build_id));
  EXPECT_TRUE(libc.has_functions);  // malloc is named
  // Files and lines only if this machine has the C library's debug info.
  EXPECT_EQ(libc.has_filenames, !alloc.file.empty());
  EXPECT_EQ(libc.has_line_numbers, alloc.line != 0);

  // One sample, three locations (one per return address), leaf first.
  ASSERT_EQ(p.samples.size(), 1u);
  EXPECT_EQ(p.samples[0].values, (std::vector<int64_t>{5, 5000, 7, 7000}));
  ASSERT_EQ(p.samples[0].location_ids.size(), 3u);
  std::map<uint64_t, const pprof::Location*> locations;
  for (const pprof::Location& l : p.locations) locations[l.id] = &l;
  std::map<uint64_t, std::string> names;
  for (const pprof::Function& f : p.functions) {
    names[f.id] = p.String(f.name);
    // The system name is the symbol as the file has it (what pprof's weblist and disasm look
    // up): mangled for C++, the name itself for C.
    std::string system = p.String(f.system_name);
    const std::string& name = names[f.id];
    if (name.starts_with("leakscope::") && name.ends_with("()")) {  // from the symbol table
      int status = -1;
      char* demangled = abi::__cxa_demangle(system.c_str(), nullptr, nullptr, &status);
      ASSERT_EQ(status, 0) << system;
      EXPECT_EQ(std::string(demangled), name);
      free(demangled);
    } else if (name.starts_with("leakscope::")) {
      // An inlined function: DWARF names it; its mangled name only if DWARF has one.
      int status = -1;
      char* demangled = abi::__cxa_demangle(system.c_str(), nullptr, nullptr, &status);
      EXPECT_TRUE(system == name || (status == 0 && std::string(demangled).starts_with(name)))
          << system;
      free(demangled);
    } else {
      EXPECT_EQ(system, name);  // malloc: C names are not mangled
    }
  }
  const pprof::Location* loc[3];
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(locations.contains(p.samples[0].location_ids[i]));
    loc[i] = locations[p.samples[0].location_ids[i]];
  }
  // Addresses inside the call instruction: the return address minus one.
  EXPECT_EQ(loc[0]->address, malloc_pc_ - 1);
  EXPECT_EQ(loc[1]->address, inline_pc_ - 1);
  EXPECT_EQ(loc[2]->address, plain_pc_ - 1);
  EXPECT_EQ(loc[0]->mapping_id, libc.id);
  EXPECT_EQ(loc[1]->mapping_id, exe.id);
  EXPECT_EQ(loc[2]->mapping_id, exe.id);
  ASSERT_EQ(loc[0]->lines.size(), 1u);
  EXPECT_EQ(names[loc[0]->lines[0].function_id], alloc.function);
  // The inlined call: one location, the inlined function's line first.
  ASSERT_EQ(loc[1]->lines.size(), 2u);
  EXPECT_EQ(names[loc[1]->lines[0].function_id], std::string(kNs) + "PprofInlined");
  EXPECT_EQ(loc[1]->lines[0].line, g_line_inner);
  EXPECT_EQ(names[loc[1]->lines[1].function_id], std::string(kNs) + "PprofInlineOuter()");
  EXPECT_EQ(loc[1]->lines[1].line, g_line_outer);
  ASSERT_EQ(loc[2]->lines.size(), 1u);
  EXPECT_EQ(names[loc[2]->lines[0].function_id], std::string(kNs) + "PprofPlainCaller()");
  EXPECT_EQ(loc[2]->lines[0].line, g_line_plain);

  // pprof drops the allocator frame (and anything further in): its full name, anchored.
  EXPECT_EQ(p.String(p.drop_frames), "^(?:" + alloc.function + ")$");
}

TEST_F(PprofAddressesTest, FoldedStacksMarkInlinedFramesAndCountByWeight) {
  std::string stack = std::string(kNs) + "PprofPlainCaller();" + kNs + "PprofInlineOuter();" + kNs +
                      "PprofInlined_[i];" + FrameAt(0).function;
  const std::pair<FoldedWeight, const char*> weights[] = {{FoldedWeight::kLiveBytes, " 5000\n"},
                                                          {FoldedWeight::kLiveCount, " 5\n"},
                                                          {FoldedWeight::kAllocBytes, " 7000\n"},
                                                          {FoldedWeight::kAllocCount, " 7\n"}};
  for (const auto& [weight, count] : weights) {
    std::string out;
    FormatReportCollapsed(report_, *symbolizer_, 0, weight, &out);
    EXPECT_EQ(out, stack + count);
  }
}

// diff --format pprof: NEW's samples, and OLD's negated and labelled as pprof's -diff_base
// labels them, so that the values add up to the change.
TEST_F(PprofAddressesTest, DiffProfileHoldsNewAndNegatedLabelledOld) {
  Dump newer = dump_;
  newer.sites[0].fixed.alloc_count = newer.sites[0].fixed.alloc_est_count = 10;
  newer.sites[0].fixed.alloc_bytes = newer.sites[0].fixed.alloc_est_bytes = 10000;
  Report old_report = report_;
  Report new_report = BuildReport(newer, "new", symbolizer_.get(), true);
  DiffResult diff = BuildDiff(std::move(old_report), std::move(new_report));
  std::string out;
  FormatDiffPprof(diff, *symbolizer_, 0, &out);
  pprof::Profile p;
  ASSERT_TRUE(pprof::DecodeProfile(out, &p));
  ASSERT_EQ(p.samples.size(), 2u);
  EXPECT_EQ(p.samples[0].values, (std::vector<int64_t>{8, 8000, 10, 10000}));
  EXPECT_TRUE(p.samples[0].labels.empty());
  EXPECT_EQ(p.samples[1].values, (std::vector<int64_t>{-5, -5000, -7, -7000}));
  ASSERT_EQ(p.samples[1].labels.size(), 1u);
  EXPECT_EQ(p.String(p.samples[1].labels[0].key), "pprof::base");
  EXPECT_EQ(p.String(p.samples[1].labels[0].str), "true");
  // The same addresses on both sides, each process with its own mappings.
  EXPECT_EQ(p.mappings.size(), 4u);

  std::string folded;
  FormatDiffCollapsed(diff, *symbolizer_, 0, FoldedWeight::kLiveBytes, &folded);
  EXPECT_TRUE(
      folded.ends_with(std::string("PprofInlined_[i];") + FrameAt(0).function + " 5000 8000\n"))
      << folded;
}

}  // namespace
}  // namespace leakscope
