// SPDX-License-Identifier: Apache-2.0
#include "unwind/frame_shape.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "cfi_bytes.h"
#include "unwind/dwarf_cfa.h"

// libunwind's entry point: the reference walk the frame-shape walker is compared with.
extern "C" int unw_backtrace(void** buffer, int size);

#include "unwind/module_table.h"

namespace leakscope::recorder {
namespace {

// The module lookup, before any test walks: _dl_find_object, or the recorder's own table when
// LEAKSCOPE_TEST_MODULE_TABLE=1 (the CTest recorder.walks_through_module_table).
[[maybe_unused]] const bool kModulesReady = (InitModuleTable(), true);

// ---------------------------------------------------------------------------------------------
// Walks of real stacks, compared with libunwind's.

struct Registers {
  uintptr_t rip, rsp, rbp;
};

// One asm statement, so the three values belong to the same instruction: rip is the address of
// the first mov, and neither mov changes rsp or rbp. Early-clobber outputs: the compiler must not
// pick rbp as the register the lea writes before rbp itself is read.
#define CAPTURE_REGISTERS(regs)                                     \
  asm volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2" \
               : "=&r"((regs).rip), "=&r"((regs).rsp), "=&r"((regs).rbp)::"memory")

std::string Describe(uintptr_t pc) {
  Dl_info info{};
  char text[512];
  if (dladdr(reinterpret_cast<void*>(pc), &info) != 0) {
    snprintf(text, sizeof(text), "%#lx (%s+%#lx in %s)", static_cast<unsigned long>(pc),
             info.dli_sname != nullptr ? info.dli_sname : "?",
             static_cast<unsigned long>(pc - reinterpret_cast<uintptr_t>(info.dli_saddr != nullptr
                                                                             ? info.dli_saddr
                                                                             : info.dli_fbase)),
             info.dli_fname != nullptr ? info.dli_fname : "?");
  } else {
    snprintf(text, sizeof(text), "%#lx (no module)", static_cast<unsigned long>(pc));
  }
  return text;
}

// The walk the recorder will do: the innermost pc as is, every caller's as return address - 1.
// Returns the return addresses, innermost first, ending with the outermost frame's; on a frame
// the reader rejects, says which and why in *error.
std::vector<uintptr_t> WalkWithFrameShapes(const Registers& regs, std::string* error) {
  std::vector<uintptr_t> return_addresses;
  uintptr_t lookup = regs.rip, sp = regs.rsp, bp = regs.rbp;
  for (int depth = 0; depth < 256; ++depth) {
    FrameShape shape;
    if (!FindFrameShape(lookup, &shape)) {
      *error = "frame " + std::to_string(depth) + " at " + Describe(lookup) +
               " rejected: " + internal::WhyNoFrameShape(lookup);
      return return_addresses;
    }
    if (shape.outermost) return return_addresses;
    uintptr_t cfa = (shape.cfa_from_fp ? bp : sp) + shape.cfa_offset;
    uintptr_t ra = *reinterpret_cast<const uintptr_t*>(cfa - 8);
    if (shape.fp_offset != 0) bp = *reinterpret_cast<const uintptr_t*>(cfa + shape.fp_offset);
    sp = cfa;
    return_addresses.push_back(ra);
    lookup = ra - 1;
  }
  *error = "walk longer than 256 frames";
  return return_addresses;
}

std::string Describe(const std::vector<uintptr_t>& pcs) {
  std::string text;
  for (uintptr_t pc : pcs) text += "\n  " + Describe(pc);
  return text;
}

// Walks from `regs` (captured in the caller, which must still be running) with FindFrameShape
// and compares with libunwind's walk from here. libunwind's list starts with its own frames,
// this function and the capturing one, so the lists are aligned at the first return address of
// ours. "" when they agree exactly, including where they end; else what differs.
__attribute__((noinline)) std::string CompareWithLibunwind(const Registers& regs) {
  void* unwound[512];
  int n = unw_backtrace(unwound, 512);
  std::string error;
  std::vector<uintptr_t> ours = WalkWithFrameShapes(regs, &error);
  if (!error.empty()) return error + "\nwalked so far:" + Describe(ours);
  if (ours.empty()) return "the walk ended in the capturing frame";
  std::vector<uintptr_t> theirs;
  for (int i = 0; i < n; ++i) theirs.push_back(reinterpret_cast<uintptr_t>(unwound[i]));
  size_t first = 0;
  while (first < theirs.size() && theirs[first] != ours[0]) ++first;
  if (first == theirs.size())
    return "our first caller is not in libunwind's walk:" + Describe(ours);
  theirs.erase(theirs.begin(), theirs.begin() + static_cast<ptrdiff_t>(first));
  if (theirs != ours)
    return "walks differ; ours:" + Describe(ours) + "\nlibunwind's:" + Describe(theirs);
  return "";
}

// Keeps a call from being a tail call or folded away.
#define KEEP(value) asm volatile("" : "+r"(value)::"memory")

__attribute__((noinline)) std::string PlainLeaf(int x) {
  Registers regs;
  CAPTURE_REGISTERS(regs);
  std::string result = CompareWithLibunwind(regs);
  KEEP(x);
  return result;
}
__attribute__((noinline)) std::string PlainMiddle(int x) {
  std::string result = PlainLeaf(x + 1);
  KEEP(x);
  return result;
}
__attribute__((noinline)) std::string PlainOuter(int x) {
  std::string result = PlainMiddle(x + 1);
  KEEP(x);
  return result;
}

TEST(FrameShapeWalk, PlainCallChainMatchesLibunwind) { EXPECT_EQ("", PlainOuter(1)); }

__attribute__((noinline)) std::string Recurse(int depth) {
  if (depth == 0) return PlainLeaf(depth);
  std::string result = Recurse(depth - 1);
  KEEP(depth);
  return result;
}

TEST(FrameShapeWalk, RecursionFortyDeepMatchesLibunwind) { EXPECT_EQ("", Recurse(40)); }

// A frame pointer and a variable-size alloca: the CFA can only be rbp-based here.
__attribute__((noinline, optimize("no-omit-frame-pointer"))) std::string WithAlloca(
    size_t bytes, FrameShape* shape_at_capture) {
  char* buffer = static_cast<char*>(__builtin_alloca(bytes));
  memset(buffer, 1, bytes);
  KEEP(buffer);
  Registers regs;
  CAPTURE_REGISTERS(regs);
  if (!FindFrameShape(regs.rip, shape_at_capture)) return "capture pc rejected";
  std::string result = CompareWithLibunwind(regs);
  KEEP(buffer);
  return result;
}

TEST(FrameShapeWalk, RbpBasedFrameWithAllocaMatchesLibunwind) {
  volatile size_t bytes = 100;  // not a constant the compiler could fold into a fixed frame
  FrameShape shape{};
  EXPECT_EQ("", WithAlloca(bytes, &shape));
  // push rbp; mov rsp, rbp: the CFA is rbp + 16, the caller's rbp at CFA - 16.
  EXPECT_FALSE(shape.outermost);
  EXPECT_TRUE(shape.cfa_from_fp);
  EXPECT_EQ(16, shape.cfa_offset);
  EXPECT_EQ(-16, shape.fp_offset);
}

TEST(FrameShapeWalk, NewThreadMatchesLibunwindToItsOutermostFrame) {
  std::string result = "not run";
  std::thread thread([&result] { result = PlainOuter(2); });
  thread.join();
  EXPECT_EQ("", result);
}

// Where the comparator's first call leaves its walk's verdict; null once it has.
std::string* g_qsort_result = nullptr;

int CompareInts(const void* a, const void* b) {
  if (g_qsort_result != nullptr) {
    *g_qsort_result = PlainMiddle(3);
    g_qsort_result = nullptr;
  }
  int x = *static_cast<const int*>(a), y = *static_cast<const int*>(b);
  return (x > y) - (x < y);
}

TEST(FrameShapeWalk, ChainThroughLibcQsortMatchesLibunwind) {
  std::string result = "comparator not called";
  g_qsort_result = &result;
  int values[] = {5, 3, 9, 1, 7, 2};
  qsort(values, sizeof(values) / sizeof(values[0]), sizeof(values[0]), CompareInts);
  g_qsort_result = nullptr;
  EXPECT_EQ("", result);
  EXPECT_EQ(1, values[0]);
}

// Whichever way modules are looked up (recorder.walks_through_module_table runs these tests
// with the recorder's own table), that way is the one in use.
TEST(FrameShape, UsesTheModuleLookupTheTestAskedFor) {
  const char* table = getenv("LEAKSCOPE_TEST_MODULE_TABLE");
  if (table != nullptr && table[0] == '1') {
    EXPECT_TRUE(ModuleTableInUse());
  }
}

TEST(FrameShape, FunctionEntryIsRspPlus8) {
  FrameShape shape{};
  uintptr_t entry = reinterpret_cast<uintptr_t>(&PlainLeaf);
  ASSERT_TRUE(FindFrameShape(entry, &shape)) << internal::WhyNoFrameShape(entry);
  EXPECT_FALSE(shape.outermost);
  EXPECT_FALSE(shape.cfa_from_fp);
  EXPECT_EQ(8, shape.cfa_offset);
  EXPECT_EQ(0, shape.fp_offset);
}

TEST(FrameShape, PcInNoModuleIsRejected) {
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* anonymous = mmap(nullptr, page, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(MAP_FAILED, anonymous);
  FrameShape shape{};
  EXPECT_FALSE(FindFrameShape(reinterpret_cast<uintptr_t>(anonymous) + 16, &shape));
  EXPECT_STREQ("no module contains pc",
               internal::WhyNoFrameShape(reinterpret_cast<uintptr_t>(anonymous) + 16));
  munmap(anonymous, page);
  EXPECT_FALSE(FindFrameShape(0, &shape));
  EXPECT_FALSE(FindFrameShape(UINTPTR_MAX, &shape));
}

// ---------------------------------------------------------------------------------------------
// Synthetic CIE/FDE bytes.

// The CIE and FDE builders are cfi_bytes.h's.
using namespace cfi_bytes;
using namespace dwarf;

// Assertions that print the shape they got.
::testing::AssertionResult IsShape(const Result& result, bool cfa_from_fp, int32_t cfa_offset,
                                   int32_t fp_offset, bool outermost = false) {
  if (!result.found) return ::testing::AssertionFailure() << "no shape";
  const FrameShape& s = result.shape;
  if (s.outermost == outermost && s.cfa_from_fp == cfa_from_fp && s.cfa_offset == cfa_offset &&
      s.fp_offset == fp_offset) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "got outermost=" << s.outermost << " cfa=" << (s.cfa_from_fp ? "rbp" : "rsp") << "+"
         << s.cfa_offset << " fp_offset=" << s.fp_offset;
}
::testing::AssertionResult Rsp(const Result& r, int32_t cfa_offset, int32_t fp_offset = 0) {
  return IsShape(r, false, cfa_offset, fp_offset);
}
::testing::AssertionResult Rbp(const Result& r, int32_t cfa_offset, int32_t fp_offset) {
  return IsShape(r, true, cfa_offset, fp_offset);
}

// What GCC emits for push rbp; mov rbp, rsp; ...; leave (or pop rbp); ret.
// clang-format off
const Bytes kFramePointerPrologue = {
    AdvanceLoc(1), kDefCfaOffset, 16, Offset(6), 2,  // at 0x1001: CFA rsp+16, rbp at CFA-16
    AdvanceLoc(3), kDefCfaRegister, 6,               // at 0x1004: CFA rbp+16
};
// clang-format on

TEST(FrameShapeFde, InitialRowComesFromTheCie) {
  EXPECT_TRUE(Rsp(ShapeAt({}, 0x1000), 8));
  EXPECT_TRUE(Rsp(ShapeAt({}, 0x10ff), 8));
}

TEST(FrameShapeFde, PcOutsideTheFdeIsRejected) {
  EXPECT_FALSE(ShapeAt({}, 0xfff).found);
  EXPECT_FALSE(ShapeAt({}, 0x1100).found);
}

TEST(FrameShapeFde, FramePointerPrologueBeforeAndAfterEachAdvance) {
  EXPECT_TRUE(Rsp(ShapeAt(kFramePointerPrologue, 0x1000), 8));
  EXPECT_TRUE(Rsp(ShapeAt(kFramePointerPrologue, 0x1001), 16, -16));
  EXPECT_TRUE(Rsp(ShapeAt(kFramePointerPrologue, 0x1003), 16, -16));
  EXPECT_TRUE(Rbp(ShapeAt(kFramePointerPrologue, 0x1004), 16, -16));
  EXPECT_TRUE(Rbp(ShapeAt(kFramePointerPrologue, 0x10ff), 16, -16));
}

TEST(FrameShapeFde, EachAdvanceForm) {
  // clang-format off
  Bytes instructions = {
      kAdvanceLoc1, 0x10, kDefCfaOffset, 16,           // 0x1010
      kAdvanceLoc2, 0x10, 0x00, kDefCfaOffset, 24,     // 0x1020
      kAdvanceLoc4, 0x10, 0x00, 0x00, 0x00,            // 0x1030
      kDefCfaOffset, 32,                            //
      kSetLoc, 0x80, 0x10, 0x00, 0x00,              // 0x1080 (udata4, the CIE's 'R')
      kDefCfaOffset, 40,                            //
      AdvanceLoc(0x3f), kDefCfaOffset, 48,          // 0x10bf
  };
  // clang-format on
  EXPECT_TRUE(Rsp(ShapeAt(instructions, 0x100f), 8));
  EXPECT_TRUE(Rsp(ShapeAt(instructions, 0x1010), 16));
  EXPECT_TRUE(Rsp(ShapeAt(instructions, 0x101f), 16));
  EXPECT_TRUE(Rsp(ShapeAt(instructions, 0x1020), 24));
  EXPECT_TRUE(Rsp(ShapeAt(instructions, 0x102f), 24));
  EXPECT_TRUE(Rsp(ShapeAt(instructions, 0x1030), 32));
  EXPECT_TRUE(Rsp(ShapeAt(instructions, 0x107f), 32));
  EXPECT_TRUE(Rsp(ShapeAt(instructions, 0x1080), 40));
  EXPECT_TRUE(Rsp(ShapeAt(instructions, 0x10be), 40));
  EXPECT_TRUE(Rsp(ShapeAt(instructions, 0x10bf), 48));
}

TEST(FrameShapeFde, CodeAlignmentFactorScalesAdvances) {
  CieSpec cie;
  cie.code_alignment = 4;
  FdeSpec fde;
  fde.instructions = {AdvanceLoc(2), kDefCfaOffset, 16};  // 2 * 4 bytes
  EXPECT_TRUE(Rsp(ShapeAt(cie, fde, 0x1007), 8));
  EXPECT_TRUE(Rsp(ShapeAt(cie, fde, 0x1008), 16));
}

TEST(FrameShapeFde, InstructionsPastPcAreNotExecuted) {
  // An opcode we reject, after an advance beyond pc, never matters.
  Bytes instructions = {AdvanceLoc(4), 0x2d /* DW_CFA_GNU_window_save */};
  EXPECT_TRUE(Rsp(ShapeAt(instructions, 0x1003), 8));
  EXPECT_FALSE(ShapeAt(instructions, 0x1004).found);
}

TEST(FrameShapeFde, RememberAndRestoreStateAroundAnEpilogue) {
  Bytes instructions = kFramePointerPrologue;
  // clang-format off
  Append(&instructions, {
                            AdvanceLoc(8), kRememberState,  // 0x100c: leave; ret
                            Restore(6), kDefCfa, 7, 8,      //
                            AdvanceLoc(2), kRestoreState,   // 0x100e: the body again
                        });
  // clang-format on
  EXPECT_TRUE(Rbp(ShapeAt(instructions, 0x100b), 16, -16));
  EXPECT_TRUE(Rsp(ShapeAt(instructions, 0x100c), 8));
  EXPECT_TRUE(Rsp(ShapeAt(instructions, 0x100d), 8));
  EXPECT_TRUE(Rbp(ShapeAt(instructions, 0x100e), 16, -16));
}

TEST(FrameShapeFde, RestoreStateWithoutRememberIsRejected) {
  EXPECT_FALSE(ShapeAt({kRestoreState}, 0x1000).found);
}

TEST(FrameShapeFde, RememberStateNestingIsBounded) {
  Bytes eight(8, kRememberState), nine(9, kRememberState);
  EXPECT_TRUE(Rsp(ShapeAt(eight, 0x1000), 8));
  EXPECT_FALSE(ShapeAt(nine, 0x1000).found);
}

TEST(FrameShapeFde, RestoreGoesBackToTheCiesRule) {
  // A CIE that saves rbp (unusual, but legal): restore returns to it, not to "unchanged".
  CieSpec cie;
  cie.instructions = {kDefCfa, 7, 16, Offset(16), 1, Offset(6), 2};
  FdeSpec fde;
  // clang-format off
  fde.instructions = {AdvanceLoc(1), kSameValue, 6,            // 0x1001: rbp unchanged
                      AdvanceLoc(1), Restore(6),               // 0x1002: rbp at CFA-16
                      AdvanceLoc(1), kSameValue, 6,            // 0x1003
                      AdvanceLoc(1), kRestoreExtended, 6};     // 0x1004
  // clang-format on
  EXPECT_TRUE(Rsp(ShapeAt(cie, fde, 0x1000), 16, -16));
  EXPECT_TRUE(Rsp(ShapeAt(cie, fde, 0x1001), 16, 0));
  EXPECT_TRUE(Rsp(ShapeAt(cie, fde, 0x1002), 16, -16));
  EXPECT_TRUE(Rsp(ShapeAt(cie, fde, 0x1003), 16, 0));
  EXPECT_TRUE(Rsp(ShapeAt(cie, fde, 0x1004), 16, -16));
  // And with the usual CIE, restoring rbp means "unchanged".
  EXPECT_TRUE(
      Rsp(ShapeAt({kDefCfaOffset, 16, Offset(6), 2, AdvanceLoc(1), Restore(6)}, 0x1001), 16, 0));
}

TEST(FrameShapeFde, OffsetRuleForms) {
  // offset_extended_sf: factored by the data alignment (-8): -3 * -8 = 24 is not a save below
  // the CFA, 3 * -8 = -24 is.
  EXPECT_TRUE(Rsp(ShapeAt({kDefCfaOffset, 32, kOffsetExtendedSf, 6, 0x03}, 0x1000), 32, -24));
  EXPECT_FALSE(ShapeAt({kDefCfaOffset, 32, kOffsetExtendedSf, 6, 0x7d}, 0x1000).found);
  EXPECT_TRUE(Rsp(ShapeAt({kDefCfaOffset, 32, kOffsetExtended, 6, 3}, 0x1000), 32, -24));
  // GNU_negative_offset_extended negates the factored offset: -(3 * -8) = +24, above the CFA
  // and rejected; with a data alignment of +8 it means -24.
  EXPECT_FALSE(ShapeAt({kDefCfaOffset, 32, kGnuNegativeOffsetExtended, 6, 3}, 0x1000).found);
  CieSpec positive;
  positive.data_alignment = 8;
  positive.instructions = {kDefCfa, 7, 8, kOffsetExtendedSf, 16, 0x7f};  // rip at -1 * 8
  FdeSpec fde;
  fde.instructions = {kDefCfaOffset, 32, kGnuNegativeOffsetExtended, 6, 3};
  EXPECT_TRUE(Rsp(ShapeAt(positive, fde, 0x1000), 32, -24));
  // def_cfa_sf and def_cfa_offset_sf are factored too: -2 * -8 = 16.
  EXPECT_TRUE(Rbp(ShapeAt({kDefCfaSf, 6, 0x7e, Offset(6), 2}, 0x1000), 16, -16));
  EXPECT_TRUE(Rsp(ShapeAt({kDefCfaOffsetSf, 0x7c}, 0x1000), 32));
}

TEST(FrameShapeFde, GnuArgsSizeAndOtherRegistersAreSkipped) {
  // clang-format off
  Bytes instructions = {
      kGnuArgsSize, 0x90, 0x01,                   // uleb 144
      Offset(3), 3,                               // rbx at CFA-24
      kRegister, 12, 13,                          // r12 in r13
      kExpression, 14, 2, 0x77, 0x00,             // r14: a 2-byte expression
      kValExpression, 15, 1, 0x30,                // r15
      kValOffset, 13, 1, kValOffsetSf, 12, 0x7f,  //
      kUndefined, 3, kSameValue, 3,               //
      kOffsetExtended, 0x81, 0x01, 2,             // register 129 (beyond uleb's first byte)
      kNop,                                       //
  };
  // clang-format on
  EXPECT_TRUE(Rsp(ShapeAt(instructions, 0x1000), 8));
}

TEST(FrameShapeFde, UndefinedReturnAddressIsOutermost) {
  EXPECT_TRUE(IsShape(ShapeAt({kUndefined, 16}, 0x1000), false, 8, 0, /*outermost=*/true));
  // Only from where the rule starts.
  EXPECT_TRUE(Rsp(ShapeAt({AdvanceLoc(4), kUndefined, 16}, 0x1003), 8));
  EXPECT_TRUE(IsShape(ShapeAt({AdvanceLoc(4), kUndefined, 16}, 0x1004), false, 8, 0, true));
}

TEST(FrameShapeFde, NotSimpleCfaRules) {
  EXPECT_FALSE(ShapeAt({kDefCfaExpression, 2, 0x77, 0x08}, 0x1000).found);
  EXPECT_FALSE(ShapeAt({kDefCfa, 3, 16}, 0x1000).found);                   // rbx-based
  EXPECT_FALSE(ShapeAt({kDefCfaRegister, 0x10}, 0x1000).found);            // rip-based
  EXPECT_FALSE(ShapeAt({kDefCfaOffset, 12}, 0x1000).found);                // not a multiple of 8
  EXPECT_FALSE(ShapeAt({kDefCfaOffset, 0}, 0x1000).found);                 // zero
  EXPECT_FALSE(ShapeAt({kDefCfaOffsetSf, 0x01}, 0x1000).found);            // 1 * -8: negative
  EXPECT_FALSE(ShapeAt({kDefCfaOffset, 0x80, 0x80, 0x04}, 0x1000).found);  // 65536
  EXPECT_TRUE(Rsp(ShapeAt({kDefCfaOffset, 0xf8, 0xff, 0x03}, 0x1000), 65528));
  // Only where they apply.
  EXPECT_TRUE(Rsp(ShapeAt({AdvanceLoc(1), kDefCfaExpression, 1, 0x77}, 0x1000), 8));
  EXPECT_FALSE(ShapeAt({kDefCfaExpression, 1, 0x77, kDefCfaOffset, 16}, 0x1000).found);
}

TEST(FrameShapeFde, NotSimpleReturnAddressRules) {
  EXPECT_FALSE(ShapeAt({Offset(16), 2}, 0x1000).found);             // at CFA-16
  EXPECT_FALSE(ShapeAt({kSameValue, 16}, 0x1000).found);            // in rip itself
  EXPECT_FALSE(ShapeAt({kRegister, 16, 0}, 0x1000).found);          // in rax
  EXPECT_FALSE(ShapeAt({kValOffset, 16, 1}, 0x1000).found);         //
  EXPECT_FALSE(ShapeAt({kExpression, 16, 1, 0x30}, 0x1000).found);  //
  EXPECT_FALSE(ShapeAt({kValExpression, 16, 1, 0x30}, 0x1000).found);
  CieSpec cie;
  cie.return_register = 15;
  EXPECT_FALSE(ShapeAt(cie, FdeSpec{}, 0x1000).found);
}

TEST(FrameShapeFde, NotSimpleRbpRules) {
  EXPECT_FALSE(ShapeAt({kRegister, 6, 3}, 0x1000).found);
  EXPECT_FALSE(ShapeAt({kExpression, 6, 1, 0x30}, 0x1000).found);
  EXPECT_FALSE(ShapeAt({kValExpression, 6, 1, 0x30}, 0x1000).found);
  EXPECT_FALSE(ShapeAt({kValOffset, 6, 1}, 0x1000).found);
  EXPECT_FALSE(ShapeAt({kValOffsetSf, 6, 1}, 0x1000).found);
  EXPECT_FALSE(ShapeAt({kUndefined, 6}, 0x1000).found);
  EXPECT_FALSE(ShapeAt({kOffsetExtendedSf, 6, 0x7f}, 0x1000).found);  // +8: above the CFA
  // Offsets in range: -65536 is the last accepted.
  EXPECT_TRUE(
      Rsp(ShapeAt({kDefCfaOffset, 16, kOffsetExtended, 6, 0x80, 0x40}, 0x1000), 16, -65536));
  EXPECT_FALSE(ShapeAt({kDefCfaOffset, 16, kOffsetExtended, 6, 0x81, 0x40}, 0x1000).found);
  // Not a multiple of 8, with a data alignment of -4.
  CieSpec cie;
  cie.data_alignment = -4;
  cie.instructions = {kDefCfa, 7, 8, Offset(16), 2};  // rip at 2 * -4
  FdeSpec fde;
  fde.instructions = {kDefCfaOffset, 16, Offset(6), 3};
  EXPECT_FALSE(ShapeAt(cie, fde, 0x1000).found);
  fde.instructions = {kDefCfaOffset, 16, Offset(6), 4};
  EXPECT_TRUE(Rsp(ShapeAt(cie, fde, 0x1000), 16, -16));
  // A rule for rsp would override "the caller's rsp is the CFA".
  EXPECT_FALSE(ShapeAt({kValOffset, 7, 0}, 0x1000).found);
  EXPECT_TRUE(Rsp(ShapeAt({kSameValue, 7}, 0x1000), 8));
}

TEST(FrameShapeFde, NotSimpleOpcodesAndTruncation) {
  EXPECT_FALSE(ShapeAt({0x2d}, 0x1000).found);  // DW_CFA_GNU_window_save
  EXPECT_FALSE(ShapeAt({0x1d}, 0x1000).found);  // DW_CFA_MIPS_advance_loc8
  EXPECT_FALSE(ShapeAt({0x17}, 0x1000).found);  // past DWARF 5's last opcode
  // Operands running past the FDE's end (the nops after the last byte are operands too).
  EXPECT_FALSE(ShapeAt({kNop, kNop, kNop, kDefCfaExpression, 0x7f}, 0x1000).found);
  EXPECT_FALSE(ShapeAt({kNop, kNop, kNop, kAdvanceLoc4}, 0x1000).found);
}

TEST(FrameShapeCie, Versions) {
  for (uint8_t version : {1, 3, 4}) {
    CieSpec cie;
    cie.version = version;
    EXPECT_TRUE(Rsp(ShapeAt(cie, FdeSpec{}, 0x1000), 8)) << int{version};
  }
  for (uint8_t version : {0, 2, 5}) {
    CieSpec cie;
    cie.version = version;
    EXPECT_FALSE(ShapeAt(cie, FdeSpec{}, 0x1000).found) << int{version};
  }
}

// An FDE over `code` (absolute udata8 pointers) under a signal-frame CIE, as glibc describes
// __restore_rt: from one byte before the trampoline to its end.
Result SignalShapeAt(const uint8_t* code, uint64_t range, uintptr_t pc) {
  CieSpec signal;
  signal.augmentation = "zRS";
  signal.augmentation_data = {0x04};  // 'R': udata8
  FdeSpec fde;
  fde.location.clear();
  fde.range.clear();
  AppendFixed<uint64_t>(&fde.location, reinterpret_cast<uintptr_t>(code));
  AppendFixed<uint64_t>(&fde.range, range);
  return ShapeAt(signal, fde, pc);
}

TEST(FrameShapeCie, SignalFrameOnlyOverTheSigreturnTrampoline) {
  // A nop, then `mov $15,%rax; syscall`; the lookup is at return address - 1, the nop.
  const uint8_t code[] = {0x90, 0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xcc};
  const uintptr_t at = reinterpret_cast<uintptr_t>(code);
  Result found = SignalShapeAt(code, 10, at);
  ASSERT_TRUE(found.found);
  EXPECT_TRUE(found.shape.signal_frame);
  EXPECT_FALSE(found.shape.outermost);
  EXPECT_EQ(found.shape.cfa_offset, 0);
  // The FDE must cover the whole trampoline: it is what proves the bytes are code to read.
  EXPECT_FALSE(SignalShapeAt(code, 9, at).found);
  // Other bytes are no sigreturn, whatever the CIE says.
  uint8_t other[sizeof(code)];
  memcpy(other, code, sizeof(code));
  other[9] = 0x90;
  EXPECT_FALSE(SignalShapeAt(other, 10, reinterpret_cast<uintptr_t>(other)).found);
  // A pc whose next byte is not the trampoline's first.
  EXPECT_FALSE(SignalShapeAt(code, 10, at + 1).found);
}

TEST(FrameShape, GlibcsRestoreRtIsASignalFrame) {
  // Where a handler returns: the sa_restorer glibc's sigaction installs.
  struct sigaction action {};
  action.sa_handler = SIG_IGN;
  struct sigaction previous {};
  ASSERT_EQ(sigaction(SIGUSR2, &action, &previous), 0);
  struct kernel_sigaction_view {
    void* handler;
    unsigned long flags;
    void* restorer;
  };
  // glibc does not report sa_restorer through sigaction(); ask the kernel.
  kernel_sigaction_view raw{};
  ASSERT_EQ(syscall(SYS_rt_sigaction, SIGUSR2, nullptr, &raw, 8), 0);
  sigaction(SIGUSR2, &previous, nullptr);
  ASSERT_NE(raw.restorer, nullptr);
  FrameShape shape{};
  ASSERT_TRUE(FindFrameShape(reinterpret_cast<uintptr_t>(raw.restorer) - 1, &shape))
      << internal::WhyNoFrameShape(reinterpret_cast<uintptr_t>(raw.restorer) - 1);
  EXPECT_TRUE(shape.signal_frame);
}

TEST(FrameShapeCie, Augmentations) {
  CieSpec unknown;
  unknown.augmentation = "zRX";
  EXPECT_FALSE(ShapeAt(unknown, FdeSpec{}, 0x1000).found);
  CieSpec eh;
  eh.augmentation = "eh";
  EXPECT_FALSE(ShapeAt(eh, FdeSpec{}, 0x1000).found);

  // No augmentation at all: absolute 8-byte pointers, no augmentation data in the FDE.
  CieSpec none;
  none.augmentation = "";
  FdeSpec absolute;
  absolute.location = {0x00, 0x10, 0, 0, 0, 0, 0, 0};
  absolute.range = {0x00, 0x01, 0, 0, 0, 0, 0, 0};
  EXPECT_TRUE(Rsp(ShapeAt(none, absolute, 0x1000), 8));

  // Personality (indirect, pcrel sdata4) and LSDA, as C++ code has them.
  CieSpec cxx;
  cxx.augmentation = "zPLR";
  cxx.augmentation_data = {0x9b, 0x11, 0x22, 0x33, 0x44, 0x03, 0x03};
  FdeSpec with_lsda;
  with_lsda.augmentation_data = {0x55, 0x66, 0x77, 0x88};
  with_lsda.instructions = {kDefCfaOffset, 16};
  EXPECT_TRUE(Rsp(ShapeAt(cxx, with_lsda, 0x1000), 16));
}

TEST(FrameShapeCie, SixtyFourBitLengthIsRejected) {
  CieSpec cie;
  cie.length_override = 0xffffffff;
  EXPECT_FALSE(ShapeAt(cie, FdeSpec{}, 0x1000).found);
}

TEST(FrameShapeCie, FdePointerEncodings) {
  struct Case {
    uint8_t encoding;
    Bytes location, range;
  };
  // clang-format off
  const Case cases[] = {
      {0x02, {0x00, 0x10}, {0x00, 0x01}},                          // udata2
      {0x04, {0x00, 0x10, 0, 0, 0, 0, 0, 0}, {0x00, 0x01, 0, 0, 0, 0, 0, 0}},  // udata8
      {0x0a, {0x00, 0x10}, {0x00, 0x01}},                          // sdata2
      {0x0b, {0x00, 0x10, 0, 0}, {0x00, 0x01, 0, 0}},              // sdata4
      {0x0c, {0x00, 0x10, 0, 0, 0, 0, 0, 0}, {0x00, 0x01, 0, 0, 0, 0, 0, 0}},  // sdata8
      {0x01, {0x80, 0x20}, {0x80, 0x02}},                          // uleb128
      {0x09, {0x80, 0x20}, {0x80, 0x02}},                          // sleb128
  };
  // clang-format on
  for (const Case& c : cases) {
    CieSpec cie;
    cie.augmentation_data = {c.encoding};
    FdeSpec fde;
    fde.location = c.location;
    fde.range = c.range;
    EXPECT_TRUE(Rsp(ShapeAt(cie, fde, 0x1000), 8)) << int{c.encoding};
    EXPECT_TRUE(Rsp(ShapeAt(cie, fde, 0x10ff), 8)) << int{c.encoding};
    EXPECT_FALSE(ShapeAt(cie, fde, 0x1100).found) << int{c.encoding};
  }
  // pcrel: relative to the location field itself, which sits 8 bytes into the FDE.
  CieSpec cie;
  cie.augmentation_data = {0x1b};  // pcrel | sdata4
  size_t fde_offset;
  Bytes bytes = Build(cie, FdeSpec{}, &fde_offset);
  uintptr_t field = reinterpret_cast<uintptr_t>(bytes.data()) + fde_offset + 8;
  EXPECT_TRUE(Rsp(ShapeAt(bytes, fde_offset, field + 0x1000), 8));
  EXPECT_FALSE(ShapeAt(bytes, fde_offset, field + 0xfff).found);
  // datarel has no base in an FDE; textrel, funcrel, aligned and indirect are not supported.
  for (uint8_t encoding : {0x33, 0x23, 0x43, 0x50, 0x83}) {
    cie.augmentation_data = {encoding};
    EXPECT_FALSE(ShapeAt(cie, FdeSpec{}, 0x1000).found) << int{encoding};
  }
}

TEST(FrameShapeFde, CieAndTerminatorAreNotFdes) {
  size_t fde_offset;
  Bytes bytes = Build(CieSpec{}, FdeSpec{}, &fde_offset);
  FrameShape shape;
  EXPECT_FALSE(FrameShapeFromFde(bytes.data(), 0x1000, &shape));                     // the CIE
  EXPECT_FALSE(FrameShapeFromFde(bytes.data() + bytes.size() - 4, 0x1000, &shape));  // end
}

// ---------------------------------------------------------------------------------------------
// Synthetic .eh_frame_hdr search tables.

// A header, its table and an .eh_frame of one CIE and three FDEs, in one buffer. Nothing reads
// the "code", so it lies at made-up addresses near the buffer: FDE i covers
// [buffer + 0x1000 * (i + 1), + 0x100) with CFA rsp + 8 * (i + 2). The table's locations are
// relative to the header (datarel), the FDEs' pcrel, as linkers write them.
class SearchTable {
 public:
  SearchTable(uint8_t version, uint8_t table_encoding, uint32_t count) : bytes_(512, 0) {
    Put<uint8_t>(0, version);
    Put<uint8_t>(1, 0x1b);  // eh_frame_ptr: pcrel | sdata4
    Put<uint8_t>(2, 0x03);  // fde_count: udata4
    Put<uint8_t>(3, table_encoding);
    constexpr size_t kEhFrame = 12 + 3 * 8;
    Put<int32_t>(4, kEhFrame - 4);
    Put<uint32_t>(8, count);
    size_t at = kEhFrame;
    // clang-format off
    const Bytes cie = {
        0x14, 0, 0, 0,  0, 0, 0, 0,  1,  'z', 'R', 0, 1, 0x78, 16, 1, 0x1b,  //
        kDefCfa, 7, 8,  Offset(16), 1,  kNop, kNop};
    // clang-format on
    memcpy(&bytes_[at], cie.data(), cie.size());
    size_t cie_at = at;
    at += cie.size();
    for (int i = 0; i < 3; ++i) {
      size_t fde = at;
      uintptr_t code = base() + 0x1000 * (i + 1);
      Put<uint32_t>(fde, 16);  // length
      Put<uint32_t>(fde + 4, static_cast<uint32_t>(fde + 4 - cie_at));
      Put<int32_t>(fde + 8, static_cast<int32_t>(code - (base() + fde + 8)));
      Put<uint32_t>(fde + 12, 0x100);
      Put<uint8_t>(fde + 16, 0);  // augmentation data length
      Put<uint8_t>(fde + 17, kDefCfaOffset);
      Put<uint8_t>(fde + 18, static_cast<uint8_t>(8 * (i + 2)));
      Put<uint8_t>(fde + 19, kNop);
      Put<int32_t>(12 + i * 8, 0x1000 * (i + 1));               // location - header
      Put<int32_t>(12 + i * 8 + 4, static_cast<int32_t>(fde));  // FDE - header
      at += 20;
    }
    Put<uint32_t>(at, 0);  // terminator
  }

  uintptr_t base() const { return reinterpret_cast<uintptr_t>(bytes_.data()); }
  Result At(uintptr_t offset) const {
    Result result{false, FrameShape{true, true, -1, -1}};
    result.found = FindFrameShapeInEhFrameHdr(bytes_.data(), base() + offset, &result.shape);
    return result;
  }

 private:
  template <typename T>
  void Put(size_t at, T value) {
    memcpy(&bytes_[at], &value, sizeof(T));
  }
  Bytes bytes_;
};

TEST(FrameShapeEhFrameHdr, BinarySearchFindsTheCoveringFde) {
  SearchTable table(1, 0x3b, 3);
  EXPECT_FALSE(table.At(0xfff).found);
  EXPECT_TRUE(Rsp(table.At(0x1000), 16));
  EXPECT_TRUE(Rsp(table.At(0x10ff), 16));
  EXPECT_FALSE(table.At(0x1100).found);  // between FDEs: the one found does not cover it
  EXPECT_TRUE(Rsp(table.At(0x2000), 24));
  EXPECT_TRUE(Rsp(table.At(0x2080), 24));
  EXPECT_TRUE(Rsp(table.At(0x3000), 32));
  EXPECT_TRUE(Rsp(table.At(0x30ff), 32));
  EXPECT_FALSE(table.At(0x3100).found);
}

TEST(FrameShapeEhFrameHdr, NeverReadsPastFdeCount) {
  SearchTable two(1, 0x3b, 2);
  EXPECT_TRUE(Rsp(two.At(0x2000), 24));
  EXPECT_FALSE(two.At(0x3000).found);
  SearchTable one(1, 0x3b, 1);
  EXPECT_TRUE(Rsp(one.At(0x1000), 16));
  EXPECT_FALSE(one.At(0x2000).found);
  SearchTable none(1, 0x3b, 0);
  EXPECT_FALSE(none.At(0x1000).found);
}

TEST(FrameShapeEhFrameHdr, UnsupportedHeadersAreRejected) {
  EXPECT_FALSE(SearchTable(2, 0x3b, 3).At(0x1000).found);
  EXPECT_FALSE(SearchTable(1, 0x1b, 3).At(0x1000).found);  // pcrel table
  EXPECT_FALSE(SearchTable(1, 0xff, 3).At(0x1000).found);  // no table
}

}  // namespace
}  // namespace leakscope::recorder
