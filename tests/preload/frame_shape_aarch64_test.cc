// SPDX-License-Identifier: Apache-2.0
// The frame-shape reader on AArch64 CFI: what GCC and Clang emit for a leaf, a frame record
// (stp x29, x30), its epilogue and return-address signing, and what the reader must refuse.
// Walks of real stacks, compared with libunwind's, are stack_walker_test.cc's (both machines).
#include <gtest/gtest.h>

#include <cstring>

#include "cfi_bytes.h"
#include "unwind/frame_shape.h"

namespace leakscope::recorder {
namespace {

using namespace cfi_bytes;
using namespace dwarf;

// DWARF register numbers of the AArch64 psABI.
constexpr uint8_t kX19 = 19, kX29 = 29, kX30 = 30, kSp = 31;
constexpr uint8_t kNegateRaState = 0x2d;  // DW_CFA_AARCH64_negate_ra_state

// GCC's AArch64 CIE: code alignment 4, data alignment -8, return address in x30, and the
// initial row CFA = sp + 0 with every register unchanged: the return address is still in x30.
CieSpec Aarch64Cie() {
  CieSpec cie;
  cie.code_alignment = 4;
  cie.data_alignment = -8;
  cie.return_register = kX30;
  cie.instructions = {kDefCfa, kSp, 0};
  return cie;
}

// The shape at pc of an FDE with these instructions under GCC's CIE.
Result ShapeOf(const Bytes& fde_instructions, uintptr_t pc) {
  FdeSpec fde;
  fde.instructions = fde_instructions;
  return ShapeAt(Aarch64Cie(), fde, pc);
}

// Assertions that print the shape they got. ra_offset 0: the return address is in x30.
::testing::AssertionResult IsShape(const Result& result, bool cfa_from_fp, int32_t cfa_offset,
                                   int32_t fp_offset, int32_t ra_offset, bool outermost = false) {
  if (!result.found) return ::testing::AssertionFailure() << "no shape";
  const FrameShape& s = result.shape;
  if (s.outermost == outermost && s.cfa_from_fp == cfa_from_fp && s.cfa_offset == cfa_offset &&
      s.fp_offset == fp_offset && s.ra_offset == ra_offset && !s.signal_frame) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "got outermost=" << s.outermost << " cfa=" << (s.cfa_from_fp ? "x29" : "sp") << "+"
         << s.cfa_offset << " fp_offset=" << s.fp_offset << " ra_offset=" << s.ra_offset
         << " signal_frame=" << s.signal_frame;
}
::testing::AssertionResult Sp(const Result& r, int32_t cfa, int32_t fp = 0, int32_t ra = 0) {
  return IsShape(r, false, cfa, fp, ra);
}
::testing::AssertionResult X29(const Result& r, int32_t cfa, int32_t fp, int32_t ra) {
  return IsShape(r, true, cfa, fp, ra);
}

// What GCC emits for a function with a frame record:
//   0x1000 stp x29, x30, [sp, #-32]!   CFA sp+32, x29 at CFA-32, x30 at CFA-24
//   0x1004 mov x29, sp                 CFA x29+32
//   ...
// clang-format off
const Bytes kFrameRecordPrologue = {
    AdvanceLoc(1), kDefCfaOffset, 32, Offset(kX29), 4, Offset(kX30), 3,  // 0x1004
    AdvanceLoc(1), kDefCfaRegister, kX29,                                 // 0x1008
};
// clang-format on

TEST(FrameShapeAarch64, ALeafKeepsItsReturnAddressInX30) {
  EXPECT_TRUE(Sp(ShapeOf({}, 0x1000), 0));
  EXPECT_TRUE(Sp(ShapeOf({}, 0x10fc), 0));
}

TEST(FrameShapeAarch64, FrameRecordPrologueBeforeAndAfterEachInstruction) {
  EXPECT_TRUE(Sp(ShapeOf(kFrameRecordPrologue, 0x1000), 0));
  EXPECT_TRUE(Sp(ShapeOf(kFrameRecordPrologue, 0x1004), 32, -32, -24));
  EXPECT_TRUE(X29(ShapeOf(kFrameRecordPrologue, 0x1008), 32, -32, -24));
  EXPECT_TRUE(X29(ShapeOf(kFrameRecordPrologue, 0x10fc), 32, -32, -24));
}

TEST(FrameShapeAarch64, EpilogueBetweenRememberAndRestoreState) {
  Bytes instructions = kFrameRecordPrologue;
  // clang-format off
  Append(&instructions, {
      AdvanceLoc(4), kRememberState,                        // 0x1018: ldp x29, x30, [sp], #32
      AdvanceLoc(1), Restore(kX30), Restore(kX29),          // 0x101c: ret
      kDefCfa, kSp, 0,                                      //
      AdvanceLoc(1), kRestoreState,                         // 0x1020: the body again
  });
  // clang-format on
  EXPECT_TRUE(X29(ShapeOf(instructions, 0x1014), 32, -32, -24));
  EXPECT_TRUE(X29(ShapeOf(instructions, 0x1018), 32, -32, -24));
  EXPECT_TRUE(Sp(ShapeOf(instructions, 0x101c), 0));
  EXPECT_TRUE(X29(ShapeOf(instructions, 0x1020), 32, -32, -24));
}

TEST(FrameShapeAarch64, LargeFrameSavesTheRecordBelowTheCfa) {
  // sub sp, sp, #4096; stp x29, x30, [sp, #-16]!: the record 4112 bytes below the CFA.
  // clang-format off
  Bytes instructions = {
      AdvanceLoc(1), kDefCfaOffset, 0x80, 0x20,                    // sp+4096 (uleb)
      AdvanceLoc(1), kDefCfaOffset, 0x90, 0x20,                    // sp+4112
      Offset(kX29), 0x82, 0x04, Offset(kX30), 0x81, 0x04,          // at -4112, -4104
  };
  // clang-format on
  EXPECT_TRUE(Sp(ShapeOf(instructions, 0x1004), 4096));
  EXPECT_TRUE(Sp(ShapeOf(instructions, 0x1008), 4112, -4112, -4104));
}

TEST(FrameShapeAarch64, ReturnAddressSigningIsFollowed) {
  // paciasp; stp x29, x30, [sp, #-16]!; ...; the saved x30 is signed: the walk strips it.
  // clang-format off
  Bytes instructions = {
      AdvanceLoc(1), kNegateRaState,                                // 0x1004
      AdvanceLoc(1), kDefCfaOffset, 16, Offset(kX29), 2, Offset(kX30), 1,  // 0x1008
  };
  // clang-format on
  EXPECT_TRUE(Sp(ShapeOf(instructions, 0x1004), 0));
  EXPECT_TRUE(Sp(ShapeOf(instructions, 0x1008), 16, -16, -8));
  // Signed with the B key: the CIE says so ('B'), and the walk strips it the same way.
  CieSpec cie = Aarch64Cie();
  cie.augmentation = "zRB";
  FdeSpec fde;
  fde.instructions = instructions;
  EXPECT_TRUE(Sp(ShapeAt(cie, fde, 0x1008), 16, -16, -8));
}

TEST(FrameShapeAarch64, UndefinedReturnAddressIsTheOutermostFrame) {
  // glibc's _start and the thread start in clone: .cfi_undefined x30.
  EXPECT_TRUE(IsShape(ShapeOf({kUndefined, kX30}, 0x1000), false, 0, 0, 0, true));
}

TEST(FrameShapeAarch64, TheReturnAddressColumnMustBeX30) {
  CieSpec cie = Aarch64Cie();
  cie.return_register = 16;  // x86-64's rip; on AArch64, x16
  FdeSpec fde;
  EXPECT_FALSE(ShapeAt(cie, fde, 0x1000).found);
}

TEST(FrameShapeAarch64, RulesThatAreNotSimpleAreRefused) {
  EXPECT_FALSE(ShapeOf({kDefCfaRegister, kX19}, 0x1000).found);              // CFA from x19
  EXPECT_FALSE(ShapeOf({kDefCfaOffset, 12}, 0x1000).found);                  // not a multiple of 8
  EXPECT_FALSE(ShapeOf({kDefCfaExpression, 1, 0x8f}, 0x1000).found);         // an expression
  EXPECT_FALSE(ShapeOf({kRegister, kX30, kX19}, 0x1000).found);              // x30 in x19
  EXPECT_FALSE(ShapeOf({kExpression, kX30, 1, 0x8f}, 0x1000).found);         // x30 by expression
  EXPECT_FALSE(ShapeOf({kValOffset, kX30, 1}, 0x1000).found);                // x30 = CFA-8
  EXPECT_FALSE(ShapeOf({kOffsetExtendedSf, kX30, 0x7f}, 0x1000).found);      // x30 above the CFA
  EXPECT_FALSE(ShapeOf({kOffsetExtendedSf, kX29, 0x7f}, 0x1000).found);      // x29 above the CFA
  EXPECT_FALSE(ShapeOf({kUndefined, kX29}, 0x1000).found);                   // x29 undefined
  EXPECT_FALSE(ShapeOf({kDefCfaOffset, 16, Offset(kSp), 2}, 0x1000).found);  // a rule for sp
  EXPECT_FALSE(ShapeOf({0x2c}, 0x1000).found);  // negate_ra_state_with_pc: not known here
}

// An FDE over `code` (absolute udata8 pointers) under a signal-frame CIE, as the vDSO describes
// __kernel_rt_sigreturn: from the nop before the trampoline to its end.
Result SignalShapeAt(const uint8_t* code, uint64_t range, uintptr_t pc) {
  CieSpec cie = Aarch64Cie();
  cie.augmentation = "zRS";
  cie.augmentation_data = {0x04};  // 'R': udata8
  FdeSpec fde;
  fde.location.clear();
  fde.range.clear();
  AppendFixed<uint64_t>(&fde.location, reinterpret_cast<uintptr_t>(code));
  AppendFixed<uint64_t>(&fde.range, range);
  return ShapeAt(cie, fde, pc);
}

TEST(FrameShapeAarch64, TheVdsosSigreturnTrampolineIsASignalFrame) {
  // nop, then `mov x8, #139; svc #0`; the lookup is at return address - 1, in the nop.
  alignas(4) const uint8_t code[] = {0x1f, 0x20, 0x03, 0xd5, 0x68, 0x11,
                                     0x80, 0xd2, 0x01, 0x00, 0x00, 0xd4};
  const uintptr_t ra = reinterpret_cast<uintptr_t>(code) + 4;
  Result found = SignalShapeAt(code, sizeof(code), ra - 1);
  ASSERT_TRUE(found.found);
  EXPECT_TRUE(found.shape.signal_frame);
  EXPECT_FALSE(found.shape.outermost);
  EXPECT_EQ(found.shape.cfa_offset, 0);
  // The FDE must cover the whole trampoline: it is what proves the bytes are code to read.
  EXPECT_FALSE(SignalShapeAt(code, sizeof(code) - 1, ra - 1).found);
  // Other instructions are no sigreturn, whatever the CIE says: svc #1.
  alignas(4) uint8_t other[sizeof(code)];
  memcpy(other, code, sizeof(code));
  other[8] = 0x21;
  EXPECT_FALSE(SignalShapeAt(other, sizeof(other), reinterpret_cast<uintptr_t>(other) + 3).found);
  // A pc whose next byte is not the trampoline's first.
  EXPECT_FALSE(SignalShapeAt(code, sizeof(code), ra - 2).found);
}

// The trampoline as Linux's arm64 vDSO writes it (arch/arm64/kernel/vdso/sigreturn.S since 5.8),
// assembled here with the same CFI directives so the reader meets what the assembler makes of
// them: an 'S' FDE from the nop before __kernel_rt_sigreturn to its end. qemu-user cannot show
// the kernel's (Debian 12's qemu puts its trampoline in no module; 10.0's vDSO gives it no FDE).
asm(R"(
  .text
  .p2align 2
  .cfi_startproc
  .cfi_signal_frame
  .cfi_def_cfa x29, 0
  .cfi_offset x29, 0 * 8
  .cfi_offset x30, 1 * 8
  nop
leakscope_test_rt_sigreturn:
  mov x8, #139
  svc #0
  .cfi_endproc
)");
extern "C" const char leakscope_test_rt_sigreturn[] __attribute__((visibility("hidden")));

TEST(FrameShape, TheKernelsSigreturnTrampolineIsASignalFrame) {
  // Where a handler returns: the walk looks the return address up less one, in the nop.
  uintptr_t pc = reinterpret_cast<uintptr_t>(leakscope_test_rt_sigreturn) - 1;
  FrameShape shape{};
  ASSERT_TRUE(FindFrameShape(pc, &shape)) << internal::WhyNoFrameShape(pc);
  EXPECT_TRUE(shape.signal_frame);
}

}  // namespace
}  // namespace leakscope::recorder
