// SPDX-License-Identifier: Apache-2.0
// The top of the calling thread's stack, so the stack walk can prove every load it makes lies
// in memory that is mapped: the stack from the walk's own sp up to the top.
//
// Found without a system call, a lock or a libc call that could take one: pthread_getattr_np
// takes the thread's own lock and allocates under it, and HotSpot calls it on its own threads,
// so calling it from a malloc hook could deadlock the thread on itself.
// - A thread glibc created: glibc places the thread descriptor (pthread_self()) at the top of
//   the thread's stack block, above the stack and its static TLS, whether it allocated the
//   stack or was given one (pthread_attr_setstack). [sp, pthread_self()) is one mapping.
// - The initial thread: its descriptor is allocated elsewhere, and __libc_stack_end (set by the
//   dynamic loader from the initial sp, under argc) bounds its stack.
// A sp that lies within kMaxStackBytes below neither (a coroutine stack, an alternate signal
// stack far from either, a thread some other runtime made with raw clone) has no known top,
// and the walk reads nothing.
#pragma once

#include <pthread.h>

#include <cstdint>

extern "C" void* __libc_stack_end;  // glibc's dynamic loader, GLIBC_2.2.5

namespace leakscope::recorder {

// No thread stack is larger (HotSpot's -Xss stops at 1 GiB).
inline constexpr uint64_t kMaxStackBytes = uint64_t{1} << 30;

// The first address above sp that may not belong to this thread's stack, or 0 when sp lies in
// no stack whose top is known.
__attribute__((always_inline)) inline uint64_t StackTopAbove(uint64_t sp) {
  uint64_t self = reinterpret_cast<uint64_t>(pthread_self());
  // argc is the word at __libc_stack_end: mapped, so the top is just past it.
  uint64_t initial = reinterpret_cast<uint64_t>(__libc_stack_end) + 8;
#if defined(__aarch64__)
  // Of the two, the nearer top above sp. The same answer as below wherever the kernel lays out
  // the process (the initial thread's descriptor is mapped below its stack, a thread's stack
  // block below the initial stack), but qemu-user maps the initial thread's descriptor above
  // its stack, where "self first" would take a top past the stack's end.
  if (sp < initial && initial - sp <= kMaxStackBytes && (initial < self || sp >= self)) {
    return initial;
  }
  if (sp < self && self - sp <= kMaxStackBytes) return self;
#else
  if (sp < self && self - sp <= kMaxStackBytes) return self;
  if (sp < initial && initial - sp <= kMaxStackBytes) return initial;
#endif
  return 0;
}

}  // namespace leakscope::recorder
