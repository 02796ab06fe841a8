// SPDX-License-Identifier: Apache-2.0
// Which allocator the program's malloc calls reach, and what we do about it.
//
// Our malloc hooks only run when libleakscope.so comes before any other allocator in the global
// scope. With LD_PRELOAD=libjemalloc.so.2:libleakscope.so the program binds to jemalloc's malloc
// and our hooks never run: we then record through jemalloc's own hooks (hooks_jemalloc.cc), or, if
// the allocator in front has none, say plainly that the malloc family goes unrecorded.
#pragma once

#include <string>

#include "dump_format.h"
#include "thread_state.h"

namespace leakscope::recorder {

// Tells whether malloc as the program sees it (dlsym(RTLD_DEFAULT)) is ours, names the module
// that serves it, installs jemalloc's hooks when jemalloc stands in front of us, and says so once
// on stderr. Called once from the recorder's start (a constructor: never from a hook).
// `routed`: the recorder was loaded by an agent and routes calls through GOT slots
// (got_routing.h), so the process's malloc being another module's is no sign of anything in
// front of our hooks.
void DetectAllocator(const ReentrancyGuard& guard, bool routed);

// The kAllocator record: what DetectAllocator found, plus jemalloc's own figures (mallctl
// "stats.*" after an "epoch" refresh) when it serves malloc. Dumper thread only: mallctl takes
// jemalloc's locks and allocates. Returns false if DetectAllocator has not run.
bool ReadAllocator(const ReentrancyGuard& guard, format::AllocatorFixed* fixed, std::string* path);

namespace jemalloc {

using MallctlFn = int (*)(const char* name, void* old_value, size_t* old_size, void* new_value,
                          size_t new_size);

// Installs our alloc, dalloc and expand hooks with mallctl("experimental.hooks.install") (jemalloc
// 5.1 and later). Returns whether jemalloc took them. Cost: jemalloc sends every thread down its
// slow path while any hook is installed (bench/RESULTS.md).
bool InstallHooks(MallctlFn mallctl);

}  // namespace jemalloc
}  // namespace leakscope::recorder
