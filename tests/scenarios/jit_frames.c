/* Allocations called from code in no module, as a JVM's JIT-compiled code calls into libjvm:
 * an executable anonymous page that loads rbp (x29 on AArch64) with what the caller gives it (C2
 * code uses it as an ordinary register) and calls leak_from_jit. Half the calls pass a plausible
 * frame (a saved rbp and return address of 0, where a frame-pointer chain ends), so a walker that
 * guesses from rbp learns to trust rbp at that pc; the other half pass an address just unmapped,
 * and a guess then faults, which a JVM turns into a crash. 100 blocks of 4321 bytes are leaked. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenario.h"

#if defined(__x86_64__)
/* push %rbp; mov %rdi,%rax; mov %rsi,%rdi; mov %rdx,%rbp; call *%rax; pop %rbp; ret */
static const unsigned char kJitCode[] = {0x55, 0x48, 0x89, 0xf8, 0x48, 0x89, 0xf7,
                                         0x48, 0x89, 0xd5, 0xff, 0xd0, 0x5d, 0xc3};
#elif defined(__aarch64__)
/* The same with the frame pointer x29: stp x29, x30, [sp, #-16]!; mov x16, x0; mov x0, x1;
 * mov x29, x2; blr x16; ldp x29, x30, [sp], #16; ret */
static const uint32_t kJitCode[] = {0xa9bf7bfd, 0xaa0003f0, 0xaa0103e0, 0xaa0203fd,
                                    0xd63f0200, 0xa8c17bfd, 0xd65f03c0};
#else
#error "jit_frames: no code for this architecture"
#endif

typedef void (*JitEntry)(void (*fn)(void*), void* arg, uintptr_t rbp);

NOINLINE void leak_from_jit(void* arg) {
  (void)arg;
  Sink(malloc(4321));
}

int main(void) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  unsigned char* code =
      mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(code != MAP_FAILED);
  memcpy(code, kJitCode, sizeof(kJitCode));
  CHECK(mprotect(code, page, PROT_READ | PROT_EXEC) == 0);
  /* AArch64's instruction cache does not see data writes by itself (a no-op on x86-64). */
  __builtin___clear_cache((char*)code, (char*)code + sizeof(kJitCode));
  void* hole = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(hole != MAP_FAILED);
  CHECK(munmap(hole, page) == 0);
  /* What C2 code may leave in rbp: a pointer into an outer frame whose words look like a saved
   * rbp and a return address of 0x100000000 (a compressed pointer, a small number). */
  volatile uintptr_t chain_end[2] = {0, 0};
  volatile uintptr_t garbage[2];
  garbage[0] = (uintptr_t)chain_end;
  garbage[1] = (uintptr_t)1 << 32;
  JitEntry jit = (JitEntry)(void*)code;
  for (int i = 0; i < 100; ++i) {
    jit(leak_from_jit, NULL, i % 2 == 0 ? (uintptr_t)garbage : (uintptr_t)hole + 64);
  }
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */
