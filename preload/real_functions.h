// SPDX-License-Identifier: Apache-2.0
// The real allocator and zlib functions behind our hooks.
//
// Malloc-family pointers start out pointing at resolvers: the first call through any of them looks
// every function up (what the program's own call would reach: see Lookup in real_functions.cc)
// and then calls the real one, so the hooks need no
// "resolved yet?" branch. dlsym itself allocates; while a thread is resolving, its allocations are
// served from a static bootstrap buffer (bootstrap_alloc.h).
#pragma once

#include <cstddef>

#include "export.h"

namespace leakscope::recorder::real {

using MallocFn = void* (*)(size_t);
using FreeFn = void (*)(void*);
using CallocFn = void* (*)(size_t, size_t);
using ReallocFn = void* (*)(void*, size_t);
using MemalignFn = void* (*)(size_t, size_t);
using PosixMemalignFn = int (*)(void**, size_t, size_t);
using UsableSizeFn = size_t (*)(void*);
using DlcloseFn = int (*)(void*);
using DlopenFn = void* (*)(const char*, int);
using ExitFn = void (*)(int);

extern MallocFn malloc LEAKSCOPE_INTERNAL;
extern FreeFn free LEAKSCOPE_INTERNAL;
extern CallocFn calloc LEAKSCOPE_INTERNAL;
extern ReallocFn realloc LEAKSCOPE_INTERNAL;
extern MemalignFn memalign LEAKSCOPE_INTERNAL;
extern MemalignFn aligned_alloc LEAKSCOPE_INTERNAL;
extern PosixMemalignFn posix_memalign LEAKSCOPE_INTERNAL;
extern MallocFn valloc LEAKSCOPE_INTERNAL;
extern MallocFn pvalloc LEAKSCOPE_INTERNAL;
extern UsableSizeFn malloc_usable_size LEAKSCOPE_INTERNAL;
extern DlcloseFn dlclose LEAKSCOPE_INTERNAL;
extern DlopenFn dlopen LEAKSCOPE_INTERNAL;
// The _exit our hook stands in front of (glibc's). Until it is looked up, and if it cannot be,
// the exit_group system call that glibc's makes; never a resolver, since the _exit hooks run
// where looking anything up is unsafe (a vfork child).
extern ExitFn exit_immediately LEAKSCOPE_INTERNAL;
// Calls it, and should it return, makes the system calls itself.
[[noreturn]] void ExitNow(int status);

// Looks up all of the above. Safe to call repeatedly and from several threads.
void ResolveAll();

// The first definition of `name` in the global scope, as dlsym(RTLD_DEFAULT) finds it, or null
// when there is none or what it finds is not a definition: the canonical address a
// position-dependent executable exports for a function whose address it takes is its own PLT
// stub (Debian's python3 does so for malloc), which leads back to the first real definition.
// Takes the loader's lock (dlsym, dladdr1): not for the fast path.
void* GlobalDefinition(const char* name);

// True if `function` lies in libleakscope.so itself. Takes the loader's lock (dladdr): not for
// the fast path.
bool DefinedByUs(const void* function);

// Looks up a zlib function: the next definition after us (a program linked with -lz), or failing
// that the one in an already loaded libz.so.1 (the JVM dlopens libzip.so, and with it libz,
// RTLD_LOCAL, so RTLD_NEXT cannot see it). Never loads zlib itself. Returns nullptr if absent.
void* FindZlibFunction(const char* name);

}  // namespace leakscope::recorder::real
