// SPDX-License-Identifier: Apache-2.0
// Synthetic CIE/FDE bytes for the frame-shape reader's tests (frame_shape_test.cc for x86-64,
// frame_shape_aarch64_test.cc): a CIE and one FDE built from a spec, and the shape
// FrameShapeFromFde reads from them at a pc.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "unwind/dwarf_cfa.h"
#include "unwind/frame_shape.h"

namespace leakscope::recorder::cfi_bytes {

// DW_CFA_* opcodes, and the primary ones with their operand.
using namespace dwarf;
inline constexpr uint8_t AdvanceLoc(uint8_t delta) { return kAdvanceLoc | delta; }
inline constexpr uint8_t Offset(uint8_t reg) { return kOffset | reg; }
inline constexpr uint8_t Restore(uint8_t reg) { return kRestore | reg; }

using Bytes = std::vector<uint8_t>;

inline void Append(Bytes* out, const Bytes& more) {
  out->insert(out->end(), more.begin(), more.end());
}
template <typename T>
void AppendFixed(Bytes* out, T value) {
  uint8_t raw[sizeof(T)];
  memcpy(raw, &value, sizeof(T));
  out->insert(out->end(), raw, raw + sizeof(T));
}

struct CieSpec {
  uint32_t length_override = 0;  // 0: the real length
  uint8_t version = 1;
  std::string augmentation = "zR";
  Bytes augmentation_data = {0x03};  // 'R': udata4 (absolute, 4 bytes)
  uint8_t code_alignment = 1;
  int8_t data_alignment = -8;  // one-byte sleb
  uint8_t return_register = 16;
  // def_cfa rsp+8; rip at CFA-8: what GCC's x86-64 CIEs say (tests for AArch64 give their own).
  Bytes instructions = {kDefCfa, 7, 8, Offset(16), 1};
};

struct FdeSpec {
  Bytes location = {0x00, 0x10, 0x00, 0x00};  // 0x1000, in the CIE's 'R' encoding
  Bytes range = {0x00, 0x01, 0x00, 0x00};     // 0x100
  Bytes augmentation_data = {};               // after its length, when the CIE has 'z'
  Bytes instructions;
};

// A CIE followed by one FDE; *fde_offset is where the FDE starts. Records are padded with nops
// to a multiple of 4, as assemblers do.
inline Bytes Build(const CieSpec& cie, const FdeSpec& fde, size_t* fde_offset) {
  Bytes body;
  AppendFixed<uint32_t>(&body, 0);  // CIE id
  body.push_back(cie.version);
  body.insert(body.end(), cie.augmentation.begin(), cie.augmentation.end());
  body.push_back(0);
  body.push_back(cie.code_alignment);
  body.push_back(static_cast<uint8_t>(cie.data_alignment) & 0x7f);
  body.push_back(cie.return_register);
  if (!cie.augmentation.empty() && cie.augmentation[0] == 'z') {
    body.push_back(static_cast<uint8_t>(cie.augmentation_data.size()));
    Append(&body, cie.augmentation_data);
  }
  Append(&body, cie.instructions);
  while (body.size() % 4 != 0) body.push_back(kNop);
  Bytes out;
  AppendFixed<uint32_t>(
      &out, cie.length_override != 0 ? cie.length_override : static_cast<uint32_t>(body.size()));
  Append(&out, body);

  *fde_offset = out.size();
  Bytes fde_body;
  AppendFixed<uint32_t>(&fde_body, static_cast<uint32_t>(out.size() + 4));  // back to the CIE
  Append(&fde_body, fde.location);
  Append(&fde_body, fde.range);
  if (!cie.augmentation.empty() && cie.augmentation[0] == 'z') {
    fde_body.push_back(static_cast<uint8_t>(fde.augmentation_data.size()));
    Append(&fde_body, fde.augmentation_data);
  }
  Append(&fde_body, fde.instructions);
  while (fde_body.size() % 4 != 0) fde_body.push_back(kNop);
  AppendFixed<uint32_t>(&out, static_cast<uint32_t>(fde_body.size()));
  Append(&out, fde_body);
  AppendFixed<uint32_t>(&out, 0);  // terminator
  return out;
}

// What FrameShapeFromFde answers at a pc; `shape` starts as garbage, so a test sees any field
// left unwritten.
struct Result {
  bool found;
  FrameShape shape;
};

inline Result ShapeAt(const Bytes& bytes, size_t fde_offset, uintptr_t pc) {
  Result result{false, FrameShape{true, true, -1, -1}};
#if defined(__aarch64__)
  result.shape.ra_offset = -1;
#endif
  result.found = FrameShapeFromFde(bytes.data() + fde_offset, pc, &result.shape);
  return result;
}

inline Result ShapeAt(const CieSpec& cie, const FdeSpec& fde, uintptr_t pc) {
  size_t fde_offset;
  Bytes bytes = Build(cie, fde, &fde_offset);
  return ShapeAt(bytes, fde_offset, pc);
}

inline Result ShapeAt(const Bytes& fde_instructions, uintptr_t pc) {
  FdeSpec fde;
  fde.instructions = fde_instructions;
  return ShapeAt(CieSpec{}, fde, pc);
}

}  // namespace leakscope::recorder::cfi_bytes
