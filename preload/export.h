// SPDX-License-Identifier: Apache-2.0
// What libleakscope.so exports (exports.map lists it): the hooked C functions (the malloc family,
// zlib's stream init and end, dlopen and dlclose, _exit and _Exit), the JVMTI agent's entry points,
// and JVM_FindClassFromBootLoader (the java launcher's call the recorder joins the JVM through).
// Everything else is hidden (-fvisibility=hidden), so our code, the static C++ runtime and
// xxHash never clash with the host's copies.
#pragma once

// Hooks also live in their own section, so the unwinder can tell an allocation that came through
// a hook (the program's) from one our own code made before any guard existed (for example the
// static C++ runtime's start-up allocations): see IsHookFrame() in unwinder.cc.
// Exported entry points that are not allocation hooks (the JVMTI agent's).
#define LEAKSCOPE_API extern "C" __attribute__((visibility("default")))
#define LEAKSCOPE_HOOK_SECTION __attribute__((section("leakscope_hooks")))
#define LEAKSCOPE_EXPORT \
  extern "C" __attribute__((visibility("default"), noinline)) LEAKSCOPE_HOOK_SECTION

// On the declaration of an object another file of ours defines: it is in this library, so the
// compiler addresses it directly. -fvisibility=hidden covers definitions only; a declaration
// without this is reached through the GOT, one load more on every hook call, which x86-64's
// linker relaxes away and AArch64's does not.
#define LEAKSCOPE_INTERNAL __attribute__((visibility("hidden")))
