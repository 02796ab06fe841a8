// SPDX-License-Identifier: Apache-2.0
// Routes calls already bound elsewhere to our hooks, by rewriting the callers' GOT entries: how a
// recorder loaded into a running process (a JVMTI agent: `leakscope attach`, or -agentpath
// without LD_PRELOAD) gets the calls that LD_PRELOAD would have bound to it at start.
//
// A module calls an imported function through a GOT slot the dynamic loader filled in: a
// JUMP_SLOT (through the PLT) or GLOB_DAT (-fno-plt, or the function's address taken) relocation
// naming the symbol. Rewriting that slot is one aligned pointer store: a call that already read
// the old value goes on to the real function, every later one comes to us. What the store must
// never race is the loader itself, which writes those slots while it relocates a module and then
// write-protects them (RELRO). So a module's slots are rewritten only when its relocation is
// visibly over: every slot to rewrite holds an address in executable memory (an unrelocated
// slot holds a small link-time offset), and every slot in its RELRO range is on a page already
// read-only (the loader protects RELRO last). Such a page is made writable for the one store and
// read-only again; a slot outside RELRO is writable all along. A module that does not qualify
// yet is tried again on the next pass.
//
// A slot is rewritten only when it is bound to the very function the hook forwards to, or not
// bound yet (lazy binding: it points into the module's own PLT). A slot bound elsewhere (a module
// loaded RTLD_DEEPBIND next to its own malloc) keeps its binding: routing its calls to another
// allocator would hand its free() blocks that allocator never made. Each module is held open
// (dlopen RTLD_NOLOAD) while its slots are rewritten, so a dlclose cannot unmap it in between;
// passes are serialized.
//
// Slots are never put back: after a stop the hooks pass every call straight through.
#pragma once

#include <cstdint>
#include <span>

namespace leakscope::recorder {

struct GotHook {
  const char* name;   // the imported symbol, e.g. "malloc"
  void* function;     // what its slots should hold from now on
  void* forwards_to;  // what the hook calls: a slot bound to anything else is left alone
};

struct GotPassResult {
  uint32_t modules_patched = 0;   // modules whose slots were rewritten in this pass
  uint32_t slots_patched = 0;     // slots rewritten in this pass
  uint32_t modules_deferred = 0;  // modules still being loaded: tried again next pass
};

// Rewrites the slots naming any of `hooks` in every loaded module not yet done, except this
// library, the dynamic loader and the vDSO. Not for hooks or signal handlers: it reads
// /proc/self/maps, takes a mutex and allocates (the caller holds a ReentrancyGuard).
GotPassResult PatchLoadedModules(std::span<const GotHook> hooks);

}  // namespace leakscope::recorder
