// The only symbols libleakscope.so exports are the hooked C functions; everything else is hidden
// (-fvisibility=hidden), so our code, abseil and xxHash never clash with the host's copies.
#pragma once

// Hooks also live in their own section, so the unwinder can tell an allocation that came through
// a hook (the program's) from one our own code made before any guard existed (for example the
// static C++ runtime's start-up allocations): see IsHookFrame() in unwinder.cc.
// Exported entry points that are not allocation hooks (the JVMTI agent's).
#define LEAKSCOPE_API extern "C" __attribute__((visibility("default")))
#define LEAKSCOPE_HOOK_SECTION __attribute__((section("leakscope_hooks")))
#define LEAKSCOPE_EXPORT \
  extern "C" __attribute__((visibility("default"), noinline)) LEAKSCOPE_HOOK_SECTION
