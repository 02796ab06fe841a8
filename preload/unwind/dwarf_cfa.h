// SPDX-License-Identifier: Apache-2.0
// DW_CFA_* call-frame instruction opcodes (DWARF 5, section 6.4.2; the GNU ones from the LSB),
// shared by the CFI reader (frame_shape.cc) and the tests that write CIE/FDE bytes. The three
// primary opcodes carry an operand in their low 6 bits: they appear here as 0x40/0x80/0xc0.
#pragma once

#include <cstdint>

namespace leakscope::recorder::dwarf {

enum CfaOp : uint8_t {
  kNop = 0x00,
  kSetLoc = 0x01,
  kAdvanceLoc1 = 0x02,
  kAdvanceLoc2 = 0x03,
  kAdvanceLoc4 = 0x04,
  kOffsetExtended = 0x05,
  kRestoreExtended = 0x06,
  kUndefined = 0x07,
  kSameValue = 0x08,
  kRegister = 0x09,
  kRememberState = 0x0a,
  kRestoreState = 0x0b,
  kDefCfa = 0x0c,
  kDefCfaRegister = 0x0d,
  kDefCfaOffset = 0x0e,
  kDefCfaExpression = 0x0f,
  kExpression = 0x10,
  kOffsetExtendedSf = 0x11,
  kDefCfaSf = 0x12,
  kDefCfaOffsetSf = 0x13,
  kValOffset = 0x14,
  kValOffsetSf = 0x15,
  kValExpression = 0x16,
  kGnuArgsSize = 0x2e,
  kGnuNegativeOffsetExtended = 0x2f,
  kAdvanceLoc = 0x40,
  kOffset = 0x80,
  kRestore = 0xc0,
};

}  // namespace leakscope::recorder::dwarf
