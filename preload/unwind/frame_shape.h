// SPDX-License-Identifier: Apache-2.0
// A small reader of DWARF call-frame information (.eh_frame) for x86-64 and AArch64 that answers
// one question: how to step from a frame to its caller, when the answer is one of the few simple
// shapes that compilers emit for almost every instruction. The recorder's stack walk
// (stack_walker.h) steps only frames it can answer this way: whenever these functions return
// false, the walk ends there and is counted as truncated, rather than guess.
//
// Safe inside malloc hooks and signal handlers: no allocation, no locks, no system calls, no
// libc other than _dl_find_object (which glibc makes lock-free and async-signal-safe for
// exactly this use), or the recorder's own module table where glibc has none (module_table.h).
// Every loop is bounded, and reads never leave the CIE and FDE being read
// (their own length fields bound them) nor the search table (its fde_count bounds it). The
// memory itself is trusted to be a mapped module's unwind data, as the module lookup reports it.
//
// When in doubt the answer is false: a rule this reader does not fully understand, or one
// whose numbers look implausible, is "not simple".
#pragma once

#include <cstdint>

namespace leakscope::recorder {

// How to step from a frame to its caller when the rule at its pc is one of the simple, common
// kinds. "fp" is the frame pointer, rbp on x86-64 and x29 on AArch64; "sp" is rsp or sp:
//   CFA = (cfa_from_fp ? fp : sp) + cfa_offset; the caller's sp is the CFA;
//   the caller's fp is at CFA + fp_offset (fp_offset == 0: fp unchanged in this frame);
//   the return address is at CFA - 8 on x86-64; on AArch64 at CFA + ra_offset, or still in x30
//   (the link register) when ra_offset == 0, as in a leaf function.
//
// Or, on x86-64, a signal frame: pc + 1 is the kernel's rt_sigreturn trampoline (glibc's
// __restore_rt, `mov $15,%rax; syscall`, under a CIE with the 'S' augmentation). The frame is
// then the kernel's rt_sigframe, and the interrupted context's registers are in the ucontext at
// this frame's rsp (kSignalContext* below). The other fields are 0. On AArch64 the trampoline
// is the vDSO's __kernel_rt_sigreturn, `mov x8, #139; svc #0`, recognised the same way; the walk
// stops there rather than read the kernel's frame, but the shape still shows a handler runs.
struct FrameShape {
  bool outermost;  // the return address is undefined (DW_CFA_undefined): the walk ends here
  bool cfa_from_fp;
  int32_t cfa_offset;  // x86-64: a multiple of 8 in [8, 65528]; AArch64: the same or 0
  int32_t fp_offset;   // 0, or a multiple of 8 in [-65536, -8]
  bool signal_frame;
#if defined(__aarch64__)
  int32_t ra_offset;  // 0 (in x30), or a multiple of 8 in [-65536, -8]
#endif
};

#if defined(__x86_64__)
// Where the x86-64 Linux kernel's signal frame keeps the interrupted registers, as offsets from
// the rsp at which the handler returns into the trampoline: struct ucontext (uc_flags, uc_link,
// uc_stack: 40 bytes) then mcontext's gregs[], REG_RBP = 10, REG_RSP = 15, REG_RIP = 16. The
// kernel's ABI: it cannot change.
inline constexpr uint64_t kSignalContextRbp = 40 + 10 * 8;
inline constexpr uint64_t kSignalContextRsp = 40 + 15 * 8;
inline constexpr uint64_t kSignalContextRip = 40 + 16 * 8;
#endif

// The rule that applies at `pc` (an exact instruction address: callers pass return address - 1
// for all but the innermost frame), read from the .eh_frame of the module that contains pc, found
// with a ModuleLookup (module_table.h: _dl_find_object, or the recorder's own table before glibc
// 2.35). InitModuleLookup (and, for the table, InitModuleTable) must have run: before, every pc
// is in no module.
// False: pc in no module, no usable .eh_frame_hdr, no FDE covers pc, or the rule is not simple.
//
// "Not simple": the CFA is an expression or based on a register other than sp/fp, or its
// offset is not a multiple of 8 below 65536 (and positive, on x86-64); the return address (the
// CIE's return-address register, which must be rip, DWARF 16, on x86-64 and x30, DWARF 30, on
// AArch64) is neither at CFA - 8 (x86-64; AArch64: at a negative multiple of 8 in [-65536, -8]
// from the CFA, or unchanged in x30) nor undefined; fp is saved other than at a negative multiple
// of 8 in [-65536, -8] from the CFA (or is undefined); sp has a rule other than same_value; the
// CIE has an augmentation other than z/R/P/L/S (and B, AArch64's B-key return-address signing),
// a 64-bit length, or a version other than 1, 3, 4; an opcode is unknown (on AArch64,
// DW_CFA_AARCH64_negate_ra_state is known: the walk strips pointer-authentication bits from
// every return address whether signed or not); remember_state nests deeper than 8; or the bytes
// are truncated. A signal-frame CIE ('S') is simple only on x86-64 and only over the
// rt_sigreturn trampoline's exact bytes, which its FDE must cover.
bool FindFrameShape(uintptr_t pc, FrameShape* out);

// The same from a module's PT_GNU_EH_FRAME (.eh_frame_hdr) image in memory: binary search of
// its sorted table (only table encoding DW_EH_PE_datarel|DW_EH_PE_sdata4, 0x3b; else false).
bool FindFrameShapeInEhFrameHdr(const uint8_t* eh_frame_hdr, uintptr_t pc, FrameShape* out);

// The same from one FDE (pointer to its length field), e.g. for synthetic FDE bytes in tests.
// False also when the FDE does not cover pc, or `fde` is a CIE or the terminator.
bool FrameShapeFromFde(const uint8_t* fde, uintptr_t pc, FrameShape* out);

namespace internal {

// Why FindFrameShape(pc) returns false, as a short static string ("no module containing pc",
// "CFA defined by an expression", ...), or nullptr when it returns true. For tests and
// diagnostics: it does the same work again, so it is not meant for the hot path.
const char* WhyNoFrameShape(uintptr_t pc);

}  // namespace internal
}  // namespace leakscope::recorder
