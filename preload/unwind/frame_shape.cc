// SPDX-License-Identifier: Apache-2.0
#include "frame_shape.h"

#include <cstddef>

#include "dwarf_cfa.h"
#include "module_table.h"

namespace leakscope::recorder {
namespace {

using namespace dwarf;  // the DW_CFA_* opcodes

// Every function below returns why the answer is "not simple" as a static string, nullptr when
// it is simple: the public functions only test for nullptr, and tests can say which rule of a
// real library was rejected and why.
using Why = const char*;

// DWARF register numbers of the psABI: the frame pointer, the stack pointer and the
// return-address column.
#if defined(__x86_64__)
constexpr uint64_t kFp = 6;   // rbp
constexpr uint64_t kSp = 7;   // rsp
constexpr uint64_t kRa = 16;  // rip
#elif defined(__aarch64__)
constexpr uint64_t kFp = 29;  // x29
constexpr uint64_t kSp = 31;  // sp
constexpr uint64_t kRa = 30;  // x30, the link register
// DW_CFA_AARCH64_negate_ra_state (the opcode SPARC's DW_CFA_GNU_window_save has elsewhere):
// from here on the saved x30 is, or is no longer, signed. The walk strips the signature from
// every return address anyway (stack_walker.h), so the state itself does not matter.
constexpr uint8_t kAarch64NegateRaState = 0x2d;
#else
#error "frame_shape: no DWARF register numbers for this architecture"
#endif

// remember_state pushes a whole row. Compilers nest it once (around an epilogue in the middle of
// a function); deeper nesting is either hand-written or corrupt.
constexpr int kMaxRememberDepth = 8;

// Offsets beyond these are not produced by compilers for these rules and most likely mean the
// bytes are not what we think; they also keep every sum below within int32 and far from
// overflow.
constexpr int64_t kMaxCfaOffset = 65535;
constexpr int64_t kMinSaveOffset = -65536;

// An end address for reads whose length is not known yet (the header fields of .eh_frame_hdr,
// a length field before it is read).
constexpr uintptr_t kUnbounded = UINTPTR_MAX;

// Reads little-endian DWARF data from [pos, end). A read that would pass `end` returns 0 and
// marks the cursor failed, so a sequence of reads can be checked once at its end; nothing after
// a failed read is ever trusted.
class Cursor {
 public:
  Cursor(uintptr_t pos, uintptr_t end) : pos_(pos), end_(end) {}

  uintptr_t pos() const { return pos_; }
  uintptr_t end() const { return end_; }
  bool failed() const { return failed_; }
  bool at_end() const { return pos_ >= end_; }
  void Fail() { failed_ = true; }

  template <typename T>
  T Fixed() {
    if (!Take(sizeof(T))) return 0;
    T value;
    __builtin_memcpy(&value, reinterpret_cast<const void*>(pos_ - sizeof(T)), sizeof(T));
    return value;
  }
  uint8_t U8() { return Fixed<uint8_t>(); }
  uint32_t U32() { return Fixed<uint32_t>(); }

  // At most 10 bytes: a longer encoding cannot be a 64-bit value.
  uint64_t Uleb() {
    uint64_t value = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      uint8_t byte = U8();
      if (failed_) return 0;
      if (shift == 63 && (byte & 0x7e) != 0) break;  // bits beyond 64
      value |= uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) return value;
    }
    Fail();
    return 0;
  }
  int64_t Sleb() {
    uint64_t value = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      uint8_t byte = U8();
      if (failed_) return 0;
      value |= uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) {
        if (shift < 57 && (byte & 0x40) != 0) value |= ~uint64_t{0} << (shift + 7);
        return static_cast<int64_t>(value);
      }
    }
    Fail();
    return 0;
  }

  bool Skip(uint64_t n) { return Take(n); }

 private:
  bool Take(uint64_t n) {
    if (failed_ || end_ - pos_ < n || pos_ > end_) {
      failed_ = true;
      return false;
    }
    pos_ += n;
    return true;
  }

  uintptr_t pos_;
  uintptr_t end_;
  bool failed_ = false;
};

// DW_EH_PE_* pointer encodings (LSB, "DWARF Exception Header Encoding").
constexpr uint8_t kPeOmit = 0xff;
constexpr uint8_t kPeIndirect = 0x80;
constexpr uint8_t kPeApplicationMask = 0x70;
constexpr uint8_t kPeFormatMask = 0x0f;
constexpr uint8_t kPeAbsptr = 0x00;
constexpr uint8_t kPeUleb128 = 0x01;
constexpr uint8_t kPeUdata2 = 0x02;
constexpr uint8_t kPeUdata4 = 0x03;
constexpr uint8_t kPeUdata8 = 0x04;
constexpr uint8_t kPeSleb128 = 0x09;
constexpr uint8_t kPeSdata2 = 0x0a;
constexpr uint8_t kPeSdata4 = 0x0b;
constexpr uint8_t kPeSdata8 = 0x0c;
constexpr uint8_t kPeAbsolute = 0x00;
constexpr uint8_t kPePcrel = 0x10;
constexpr uint8_t kPeDatarel = 0x30;
constexpr uint8_t kPeTableEncoding = kPeDatarel | kPeSdata4;

// Reads a pointer in `encoding`. Relative encodings add their base: pcrel the field's own
// address, datarel `datarel_base` (only meaningful in .eh_frame_hdr; 0 makes it unsupported,
// as x86-64 and AArch64 FDEs have no data base). `indirect_ok`: the caller only skips the value, so
// a pointer to the pointer is as good as any (it is never dereferenced here).
Why ReadPointer(Cursor& c, uint8_t encoding, uintptr_t datarel_base, bool indirect_ok,
                uint64_t* out) {
  if ((encoding & kPeIndirect) != 0 && !indirect_ok) return "indirect pointer encoding";
  uintptr_t field = c.pos();
  uint64_t value;
  switch (encoding & kPeFormatMask) {
    case kPeAbsptr:  // 8 bytes on x86-64 and AArch64
    case kPeUdata8:
      value = c.Fixed<uint64_t>();
      break;
    case kPeUleb128:
      value = c.Uleb();
      break;
    case kPeUdata2:
      value = c.Fixed<uint16_t>();
      break;
    case kPeUdata4:
      value = c.Fixed<uint32_t>();
      break;
    case kPeSleb128:
      value = static_cast<uint64_t>(c.Sleb());
      break;
    case kPeSdata2:
      value = static_cast<uint64_t>(int64_t{c.Fixed<int16_t>()});
      break;
    case kPeSdata4:
      value = static_cast<uint64_t>(int64_t{c.Fixed<int32_t>()});
      break;
    case kPeSdata8:
      value = static_cast<uint64_t>(c.Fixed<int64_t>());
      break;
    default:
      return "unsupported pointer format";
  }
  if (c.failed()) return "truncated pointer";
  switch (encoding & kPeApplicationMask) {
    case kPeAbsolute:
      break;
    case kPePcrel:
      value += field;
      break;
    case kPeDatarel:
      if (datarel_base == 0) return "datarel pointer outside .eh_frame_hdr";
      value += datarel_base;
      break;
    default:
      return "unsupported pointer application";
  }
  *out = value;
  return nullptr;
}

// Size of a pointer in `encoding`'s format without reading it: pc_range uses the FDE pointer
// format with no application (it is a length, not an address).
Why ReadLength(Cursor& c, uint8_t encoding, uint64_t* out) {
  return ReadPointer(c, encoding & kPeFormatMask, 0, false, out);
}

// The rule for one of the three registers we track.
enum class Rule : uint8_t {
  kSame,       // unchanged (the initial rule, or same_value)
  kUndefined,  // DW_CFA_undefined
  kOffset,     // saved at CFA + offset
  kOther,      // register, expression, val_offset, val_expression: nothing simple
};

struct RegRule {
  Rule rule;
  int64_t offset;  // for kOffset
};

// The columns of a row of the CFI table that matter to a simple step. Small and trivially
// copyable: remember_state copies whole rows, inline.
struct Row {
  bool cfa_is_expression;
  uint64_t cfa_register;
  int64_t cfa_offset;
  RegRule fp;
  RegRule sp;
  RegRule ra;
};

RegRule* Column(Row* row, uint64_t reg) {
  switch (reg) {
    case kFp:
      return &row->fp;
    case kSp:
      return &row->sp;
    case kRa:
      return &row->ra;
    default:
      return nullptr;  // rules for other registers are parsed and ignored
  }
}

const RegRule* Column(const Row* row, uint64_t reg) { return Column(const_cast<Row*>(row), reg); }

void SetRule(Row* row, uint64_t reg, Rule rule, int64_t offset) {
  if (RegRule* column = Column(row, reg)) *column = RegRule{rule, offset};
}

// What a CIE says that its FDEs need.
struct Cie {
  uint64_t code_alignment;
  int64_t data_alignment;
  uint8_t fde_encoding;  // 'R'; absptr without one
  bool has_z;            // FDEs carry an augmentation-data length
  bool signal_frame;     // 'S': the FDEs describe a signal trampoline
  uintptr_t instructions;
  uintptr_t end;
};

// Reads an .eh_frame record's length field; `*end` is the first byte after the record.
Why ReadRecordLength(Cursor& c, uintptr_t* end) {
  uint32_t length = c.U32();
  if (c.failed()) return "truncated length";
  if (length == 0) return "terminator instead of a record";
  if (length == 0xffffffff) return "64-bit DWARF length";
  if (c.pos() > kUnbounded - length) return "record wraps the address space";
  *end = c.pos() + length;
  return nullptr;
}

Why ParseCie(uintptr_t at, Cie* cie) {
  Cursor c(at, kUnbounded);
  uintptr_t end;
  if (Why why = ReadRecordLength(c, &end)) return why;
  c = Cursor(c.pos(), end);  // from here on, never past the CIE's own length
  if (c.U32() != 0) return "CIE pointer does not lead to a CIE";
  uint8_t version = c.U8();
  if (version != 1 && version != 3 && version != 4) return "unsupported CIE version";

  // The augmentation string; at most a handful of letters in practice, bounded by the CIE.
  uintptr_t augmentation = c.pos();
  while (!c.failed() && c.U8() != 0) {
  }
  if (c.failed()) return "unterminated augmentation string";
  const char* aug = reinterpret_cast<const char*>(augmentation);
  if (aug[0] != '\0' && aug[0] != 'z') {
    return aug[0] == 'e' && aug[1] == 'h' ? "\"eh\" augmentation" : "unknown augmentation";
  }

  cie->code_alignment = c.Uleb();
  cie->data_alignment = c.Sleb();
  uint64_t return_register = version == 1 ? c.U8() : c.Uleb();
  if (c.failed()) return "truncated CIE";
  if (return_register != kRa) return "return-address register is not the psABI's";

  cie->fde_encoding = 0;  // absptr
  cie->has_z = aug[0] == 'z';
  cie->signal_frame = false;
  if (cie->has_z) {
    uint64_t data_length = c.Uleb();
    if (c.failed() || data_length > c.end() - c.pos()) return "truncated augmentation data";
    Cursor data(c.pos(), c.pos() + data_length);
    c.Skip(data_length);
    for (const char* letter = aug + 1; *letter != '\0'; ++letter) {
      switch (*letter) {
        case 'R':
          cie->fde_encoding = data.U8();
          break;
        case 'L':  // the LSDA's encoding: only FDEs' augmentation data holds an LSDA
          data.U8();
          break;
        case 'P': {
          uint64_t personality;
          uint8_t encoding = data.U8();
          if (data.failed()) return "truncated augmentation data";
          if (Why why = ReadPointer(data, encoding, 0, true, &personality)) return why;
          break;
        }
        case 'S':
          cie->signal_frame = true;
          break;
#if defined(__aarch64__)
        case 'B':  // return addresses signed with the B key: stripped all the same
          break;
#endif
        default:
          return "unknown augmentation";
      }
      if (data.failed()) return "truncated augmentation data";
    }
  }
  cie->instructions = c.pos();
  cie->end = end;
  return nullptr;
}

// Runs CFA instructions from [c.pos(), c.end()) on *row. In an FDE, `loc` starts at the FDE's
// initial location and execution stops when an advance would pass `pc`: the row then current is
// the one at pc. A CIE (initial == nullptr) may not advance or restore: its instructions define
// the initial rules.
Why Execute(Cursor c, const Cie& cie, const Row* initial, uint64_t loc, uintptr_t pc, Row* row) {
  Row stack[kMaxRememberDepth];
  int depth = 0;
  // Each instruction takes at least one byte, so the record's length bounds this loop.
  while (!c.at_end()) {
    uint8_t op = c.U8();
    uint64_t advance = 0;  // in code alignment units
    bool set_loc = false;
    uint64_t new_loc = 0;
    uint64_t reg = 0;
    switch (op & 0xc0) {
      case kAdvanceLoc:
        advance = op & 0x3f;
        op = kAdvanceLoc;
        break;
      case kOffset:
      case kRestore:
        reg = op & 0x3f;
        op &= 0xc0;
        break;
      default:
        break;
    }
    switch (op) {
      case kNop:
      case kAdvanceLoc:
        break;
      case kSetLoc:
        if (Why why = ReadPointer(c, cie.fde_encoding, 0, false, &new_loc)) return why;
        set_loc = true;
        break;
      case kAdvanceLoc1:
        advance = c.U8();
        break;
      case kAdvanceLoc2:
        advance = c.Fixed<uint16_t>();
        break;
      case kAdvanceLoc4:
        advance = c.Fixed<uint32_t>();
        break;
      case kOffset:
      case kOffsetExtended:
      case kGnuNegativeOffsetExtended:
      case kValOffset: {
        if (op != kOffset) reg = c.Uleb();
        uint64_t factored = c.Uleb();
        int64_t offset;
        if (factored > INT64_MAX ||
            __builtin_mul_overflow(static_cast<int64_t>(factored), cie.data_alignment, &offset)) {
          return "offset out of range";
        }
        if (op == kGnuNegativeOffsetExtended) offset = -offset;
        SetRule(row, reg, op == kValOffset ? Rule::kOther : Rule::kOffset, offset);
        break;
      }
      case kOffsetExtendedSf:
      case kValOffsetSf: {
        reg = c.Uleb();
        int64_t offset;
        if (__builtin_mul_overflow(c.Sleb(), cie.data_alignment, &offset)) {
          return "offset out of range";
        }
        SetRule(row, reg, op == kValOffsetSf ? Rule::kOther : Rule::kOffset, offset);
        break;
      }
      case kRestoreExtended:
        reg = c.Uleb();
        [[fallthrough]];
      case kRestore:
        if (initial == nullptr) return "restore in a CIE";
        if (RegRule* column = Column(row, reg)) *column = *Column(initial, reg);
        break;
      case kUndefined:
        SetRule(row, c.Uleb(), Rule::kUndefined, 0);
        break;
      case kSameValue:
        SetRule(row, c.Uleb(), Rule::kSame, 0);
        break;
      case kRegister:
        reg = c.Uleb();
        c.Uleb();
        SetRule(row, reg, Rule::kOther, 0);
        break;
      case kRememberState:  // the CFA rule too, as GCC's mid-function epilogues expect
        if (depth == kMaxRememberDepth) return "remember_state nested too deep";
        stack[depth++] = *row;
        break;
      case kRestoreState:
        if (depth == 0) return "restore_state without remember_state";
        *row = stack[--depth];
        break;
      case kDefCfa:
      case kDefCfaSf:
        row->cfa_register = c.Uleb();
        row->cfa_is_expression = false;
        if (op == kDefCfa) {
          uint64_t offset = c.Uleb();
          row->cfa_offset = offset > INT64_MAX ? -1 : static_cast<int64_t>(offset);
        } else if (__builtin_mul_overflow(c.Sleb(), cie.data_alignment, &row->cfa_offset)) {
          return "CFA offset out of range";
        }
        break;
      // The next three change one part of a register+offset rule; after an expression there is
      // none to change (DWARF 5 says they are then invalid).
      case kDefCfaRegister:
        if (row->cfa_is_expression) return "def_cfa_register after a CFA expression";
        row->cfa_register = c.Uleb();
        break;
      case kDefCfaOffset: {
        if (row->cfa_is_expression) return "def_cfa_offset after a CFA expression";
        uint64_t offset = c.Uleb();
        row->cfa_offset = offset > INT64_MAX ? -1 : static_cast<int64_t>(offset);
        break;
      }
      case kDefCfaOffsetSf:
        if (row->cfa_is_expression) return "def_cfa_offset_sf after a CFA expression";
        if (__builtin_mul_overflow(c.Sleb(), cie.data_alignment, &row->cfa_offset)) {
          return "CFA offset out of range";
        }
        break;
      case kDefCfaExpression:
        row->cfa_is_expression = true;
        c.Skip(c.Uleb());
        break;
      case kExpression:
      case kValExpression:
        reg = c.Uleb();
        c.Skip(c.Uleb());
        SetRule(row, reg, Rule::kOther, 0);
        break;
      case kGnuArgsSize:  // only matters when resuming into a landing pad, not when walking
        c.Uleb();
        break;
#if defined(__aarch64__)
      case kAarch64NegateRaState:
        break;
#endif
      default:
        return "unknown CFA opcode";
    }
    if (c.failed()) return "truncated CFA instruction";

    if (advance != 0 || set_loc) {
      if (initial == nullptr) return "advance in a CIE";
      if (set_loc) {
        if (new_loc < loc) return "set_loc moves backwards";
      } else if (__builtin_mul_overflow(advance, cie.code_alignment, &advance) ||
                 __builtin_add_overflow(loc, advance, &new_loc)) {
        return "advance out of range";
      }
      if (new_loc > pc) return nullptr;  // the current row is the one at pc
      loc = new_loc;
    }
  }
  return nullptr;
}

// A saved register's place relative to the CFA, if plausible: a negative multiple of 8 that
// the cache's fields and every sum below can hold.
bool PlausibleSaveOffset(int64_t offset) {
  return offset >= kMinSaveOffset && offset <= -8 && offset % 8 == 0;
}

// Whether `row` is one of the simple shapes, and which.
Why Describe(const Row& row, FrameShape* out) {
  if (row.cfa_is_expression) return "CFA defined by an expression";
  if (row.cfa_register != kSp && row.cfa_register != kFp) {
    return "CFA based on a register other than sp/fp";
  }
#if defined(__x86_64__)
  // The call pushed the return address: the CFA is above it.
  if (row.cfa_offset <= 0 || row.cfa_offset > kMaxCfaOffset || row.cfa_offset % 8 != 0) {
    return "CFA offset not a positive multiple of 8 below 65536";
  }
  switch (row.ra.rule) {
    case Rule::kUndefined:
      break;
    case Rule::kOffset:
      if (row.ra.offset == -8) break;
      [[fallthrough]];
    default:
      return "return address not at CFA-8";
  }
#else
  // A call leaves the return address in x30: a leaf's CFA is its sp, and x30 is unchanged.
  if (row.cfa_offset < 0 || row.cfa_offset > kMaxCfaOffset || row.cfa_offset % 8 != 0) {
    return "CFA offset not a multiple of 8 below 65536";
  }
  int64_t ra_offset = 0;
  switch (row.ra.rule) {
    case Rule::kUndefined:
    case Rule::kSame:
      break;
    case Rule::kOffset:
      ra_offset = row.ra.offset;
      if (!PlausibleSaveOffset(ra_offset)) return "return address saved at an implausible offset";
      break;
    case Rule::kOther:
      return "return address saved by a register, expression or val rule";
  }
#endif
  // The caller's sp is the CFA by definition; a rule for sp would override that.
  if (row.sp.rule != Rule::kSame) return "rule for sp";
  int64_t fp_offset = 0;
  switch (row.fp.rule) {
    case Rule::kSame:
      break;
    case Rule::kOffset:
      fp_offset = row.fp.offset;
      if (!PlausibleSaveOffset(fp_offset)) return "fp saved at an implausible offset";
      break;
    case Rule::kUndefined:
      return "fp undefined";
    case Rule::kOther:
      return "fp saved by a register, expression or val rule";
  }
  FrameShape shape{};
  shape.outermost = row.ra.rule == Rule::kUndefined;
  shape.cfa_from_fp = row.cfa_register == kFp;
  shape.cfa_offset = static_cast<int32_t>(row.cfa_offset);
  shape.fp_offset = static_cast<int32_t>(fp_offset);
#if defined(__aarch64__)
  shape.ra_offset = static_cast<int32_t>(ra_offset);
#endif
  *out = shape;
  return nullptr;
}

#if defined(__x86_64__)
// x86-64 Linux's rt_sigreturn trampoline, `mov $15,%rax; syscall`: where a signal handler returns.
constexpr uint8_t kRtSigreturn[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};

// A signal-frame FDE's rules are expressions over the kernel's ucontext, which the walk reads
// at fixed offsets instead (kSignalContext* in frame_shape.h). That is right only where the
// handler really returns into the rt_sigreturn trampoline: its bytes must follow pc (return
// address - 1: glibc starts the FDE one byte early for this lookup) inside the FDE's own range,
// which is the module's code and so mapped.
Why SignalFrameShape(uint64_t begin, uint64_t range, uintptr_t pc, FrameShape* out) {
  uintptr_t code = pc + 1;
  if (code - begin > range || range - (code - begin) < sizeof(kRtSigreturn)) {
    return "signal frame whose FDE does not cover the rt_sigreturn trampoline";
  }
  if (__builtin_memcmp(reinterpret_cast<const void*>(code), kRtSigreturn, sizeof(kRtSigreturn)) !=
      0) {
    return "signal frame that is not the rt_sigreturn trampoline";
  }
  *out = FrameShape{false, false, 0, 0, true};
  return nullptr;
}
#else
// AArch64 Linux's rt_sigreturn trampoline, `mov x8, #139; svc #0`: the vDSO's
// __kernel_rt_sigreturn, where a handler returns (glibc installs no restorer of its own).
constexpr uint8_t kRtSigreturn[] = {0x68, 0x11, 0x80, 0xd2, 0x01, 0x00, 0x00, 0xd4};

// The trampoline is recognised as on x86-64: its bytes follow pc (return address - 1, inside the
// nop the vDSO puts before it so that this lookup lands in its FDE) within the FDE's range. The
// walk does not step through the kernel's signal frame on AArch64 (yet); what the shape gives is
// the knowledge that a signal handler runs (signal_context.h).
Why SignalFrameShape(uint64_t begin, uint64_t range, uintptr_t pc, FrameShape* out) {
  uintptr_t code = pc + 1;
  if (code - begin > range || range - (code - begin) < sizeof(kRtSigreturn)) {
    return "signal frame whose FDE does not cover the rt_sigreturn trampoline";
  }
  if (__builtin_memcmp(reinterpret_cast<const void*>(code), kRtSigreturn, sizeof(kRtSigreturn)) !=
      0) {
    return "signal frame that is not the rt_sigreturn trampoline";
  }
  *out = FrameShape{};
  out->signal_frame = true;
  return nullptr;
}
#endif

Why ShapeFromFde(uintptr_t fde, uintptr_t pc, FrameShape* out) {
  Cursor c(fde, kUnbounded);
  uintptr_t end;
  if (Why why = ReadRecordLength(c, &end)) return why;
  c = Cursor(c.pos(), end);  // from here on, never past the FDE's own length
  uintptr_t cie_pointer_field = c.pos();
  uint32_t cie_pointer = c.U32();
  if (c.failed()) return "truncated FDE";
  if (cie_pointer == 0) return "a CIE, not an FDE";
  if (cie_pointer > cie_pointer_field) return "CIE pointer out of range";
  Cie cie;
  if (Why why = ParseCie(cie_pointer_field - cie_pointer, &cie)) return why;

  uint64_t begin, range;
  if (Why why = ReadPointer(c, cie.fde_encoding, 0, false, &begin)) return why;
  if (Why why = ReadLength(c, cie.fde_encoding, &range)) return why;
  if (pc < begin || pc - begin >= range) return "pc outside the FDE";
  if (cie.has_z) c.Skip(c.Uleb());
  if (c.failed()) return "truncated FDE augmentation data";
  if (cie.signal_frame) return SignalFrameShape(begin, range, pc, out);

  // The initial rule for every register is "unchanged" (fp must stay so unless saved), and
  // the CIE's instructions then set the CFA and the return address.
  Row initial{};
  initial.cfa_register = UINT64_MAX;  // no CFA rule until the CIE gives one
  if (Why why = Execute(Cursor(cie.instructions, cie.end), cie, nullptr, 0, 0, &initial)) {
    return why;
  }
  Row row = initial;
  if (Why why = Execute(c, cie, &initial, begin, pc, &row)) return why;
  return Describe(row, out);
}

Why ShapeFromEhFrameHdr(uintptr_t hdr, uintptr_t pc, FrameShape* out) {
  Cursor c(hdr, kUnbounded);
  uint8_t version = c.U8();
  uint8_t eh_frame_ptr_encoding = c.U8();
  uint8_t fde_count_encoding = c.U8();
  uint8_t table_encoding = c.U8();
  if (c.failed() || version != 1) return "unsupported .eh_frame_hdr version";
  if (table_encoding != kPeTableEncoding) return "unsupported .eh_frame_hdr table encoding";
  if (fde_count_encoding == kPeOmit) return ".eh_frame_hdr without a table";
  uint64_t unused, count;
  if (eh_frame_ptr_encoding != kPeOmit) {
    if (Why why = ReadPointer(c, eh_frame_ptr_encoding, hdr, false, &unused)) return why;
  }
  if (Why why = ReadPointer(c, fde_count_encoding, hdr, false, &count)) return why;
  // 8 bytes an entry; anything near 2^28 entries would be a 2 GiB table.
  if (count == 0 || count > (uint64_t{1} << 28)) return "implausible .eh_frame_hdr FDE count";

  // Entries are (initial location, FDE address) pairs, both sdata4 relative to hdr, sorted by
  // location. Find the last entry whose location is <= pc; only entries [0, count) are read.
  uintptr_t table = c.pos();
  auto location = [&](uint64_t i) {
    int32_t value;
    __builtin_memcpy(&value, reinterpret_cast<const void*>(table + i * 8), 4);
    return hdr + static_cast<uintptr_t>(static_cast<intptr_t>(value));
  };
  if (pc < location(0)) return "pc below the first FDE";
  uint64_t low = 0, high = count;  // invariant: location(low) <= pc, and pc < location(high)
  while (high - low > 1) {         // at most 28 iterations
    uint64_t middle = low + (high - low) / 2;
    if (location(middle) <= pc) {
      low = middle;
    } else {
      high = middle;
    }
  }
  int32_t fde_offset;
  __builtin_memcpy(&fde_offset, reinterpret_cast<const void*>(table + low * 8 + 4), 4);
  return ShapeFromFde(hdr + static_cast<uintptr_t>(static_cast<intptr_t>(fde_offset)), pc, out);
}

Why FindShape(uintptr_t pc, FrameShape* out) {
  ModuleLookup lookup;  // the module stays mapped until we are done with its bytes
  const uint8_t* hdr = nullptr;
  switch (lookup.Find(pc, &hdr)) {
    case ModuleLookup::Result::kNoModule:
      return "no module contains pc";
    case ModuleLookup::Result::kNoEhFrameHdr:
      return "module without .eh_frame_hdr";
    case ModuleLookup::Result::kFound:
      break;
  }
  return ShapeFromEhFrameHdr(reinterpret_cast<uintptr_t>(hdr), pc, out);
}

}  // namespace

bool FindFrameShape(uintptr_t pc, FrameShape* out) { return FindShape(pc, out) == nullptr; }

bool FindFrameShapeInEhFrameHdr(const uint8_t* eh_frame_hdr, uintptr_t pc, FrameShape* out) {
  return ShapeFromEhFrameHdr(reinterpret_cast<uintptr_t>(eh_frame_hdr), pc, out) == nullptr;
}

bool FrameShapeFromFde(const uint8_t* fde, uintptr_t pc, FrameShape* out) {
  return ShapeFromFde(reinterpret_cast<uintptr_t>(fde), pc, out) == nullptr;
}

namespace internal {

const char* WhyNoFrameShape(uintptr_t pc) {
  FrameShape unused;
  return FindShape(pc, &unused);
}

}  // namespace internal
}  // namespace leakscope::recorder
