// SPDX-License-Identifier: Apache-2.0
#include "real_functions.h"

#include <dlfcn.h>
#include <link.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bootstrap_alloc.h"
#include "core/raw_log.h"
#include "thread_state.h"

// glibc's own entry points: the fallback if dlsym cannot give us the next malloc.
extern "C" {
void* __libc_malloc(size_t);
void __libc_free(void*);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void* __libc_valloc(size_t);
void* __libc_pvalloc(size_t);
}

namespace leakscope::recorder::real {
namespace {

// Resolvers: the initial values of the function pointers. Each resolves everything, then calls
// the real function; while this thread is inside dlsym, the bootstrap buffer serves instead.
void* ResolveMalloc(size_t size) {
  if (t_state.resolving) return bootstrap::Allocate(size);
  ResolveAll();
  return real::malloc(size);
}
void ResolveFree(void* p) {
  if (p == nullptr || bootstrap::Owns(p)) return;
  ResolveAll();
  real::free(p);
}
void* ResolveCalloc(size_t n, size_t m) {
  if (t_state.resolving) return bootstrap::AllocateZeroed(n, m);
  ResolveAll();
  return real::calloc(n, m);
}
void* ResolveRealloc(void* p, size_t size) {
  ResolveAll();
  return real::realloc(p, size);
}
void* ResolveMemalign(size_t alignment, size_t size) {
  if (t_state.resolving) return bootstrap::Allocate(size, alignment);
  ResolveAll();
  return real::memalign(alignment, size);
}
void* ResolveAlignedAlloc(size_t alignment, size_t size) {
  if (t_state.resolving) return bootstrap::Allocate(size, alignment);
  ResolveAll();
  return real::aligned_alloc(alignment, size);
}
int ResolvePosixMemalign(void** out, size_t alignment, size_t size) {
  ResolveAll();
  return real::posix_memalign(out, alignment, size);
}
void* ResolveValloc(size_t size) {
  ResolveAll();
  return real::valloc(size);
}
void* ResolvePvalloc(size_t size) {
  ResolveAll();
  return real::pvalloc(size);
}
size_t ResolveUsableSize(void* p) {
  ResolveAll();
  return real::malloc_usable_size(p);
}
int ResolveDlclose(void* handle) {
  ResolveAll();
  return real::dlclose(handle);
}
void* ResolveDlopen(const char* file, int mode) {
  ResolveAll();
  return real::dlopen(file, mode);
}

// What glibc's _exit does: exit_group, and should that ever return, exit, forever.
[[noreturn]] void ExitGroup(int status) {
  for (;;) {
    syscall(SYS_exit_group, status);
    syscall(SYS_exit, status);
  }
}

// The start of our own image, for telling our definitions from others (dladdr, not a symbol
// address: taking &malloc here would give whatever malloc the program's calls bind to).
const void* OwnBase() {
  Dl_info info;
  return dladdr(reinterpret_cast<void*>(&ResolveAll), &info) != 0 ? info.dli_fbase : nullptr;
}

// What the program's own call to `name` would reach: the first definition in the global scope,
// unless that is our hook (we were loaded first), and then the next one after us. So with
// LD_PRELOAD=libjemalloc.so.2:libleakscope.so we forward to jemalloc, as the program does,
// not past it to glibc: blocks we hand out (zlib streams) are freed by the program's free.
// (A PLT stub is not a definition: GlobalDefinition. Forwarding to one would call our hook again,
// for ever.)
template <typename Fn>
Fn Lookup(const char* name, Fn fallback) {
  void* found = GlobalDefinition(name);
  if (found == nullptr || DefinedByUs(found)) found = dlsym(RTLD_NEXT, name);
  if (found == nullptr) {
    if (fallback != nullptr) return fallback;
    RawLog(LogLevel::kWarn, "cannot find the real %s; aborting", name);
    ExitGroup(127);  // not _exit: that is our hook now
  }
  return reinterpret_cast<Fn>(found);
}

}  // namespace

MallocFn malloc = ResolveMalloc;
FreeFn free = ResolveFree;
CallocFn calloc = ResolveCalloc;
ReallocFn realloc = ResolveRealloc;
MemalignFn memalign = ResolveMemalign;
MemalignFn aligned_alloc = ResolveAlignedAlloc;
PosixMemalignFn posix_memalign = ResolvePosixMemalign;
MallocFn valloc = ResolveValloc;
MallocFn pvalloc = ResolvePvalloc;
UsableSizeFn malloc_usable_size = ResolveUsableSize;
DlcloseFn dlclose = ResolveDlclose;
DlopenFn dlopen = ResolveDlopen;
ExitFn exit_immediately = ExitGroup;

void ExitNow(int status) {
  exit_immediately(status);
  ExitGroup(status);
}

void* GlobalDefinition(const char* name) {
  void* found = dlsym(RTLD_DEFAULT, name);
  if (found == nullptr) return nullptr;
  // A definition starts its symbol, and the symbol table entry there is a defined one; the stub's
  // entry is undefined (SHN_UNDEF) with the stub's address as its value.
  Dl_info info;
  void* entry = nullptr;
  if (dladdr1(found, &info, &entry, RTLD_DL_SYMENT) == 0 || entry == nullptr ||
      info.dli_saddr != found || static_cast<const ElfW(Sym)*>(entry)->st_shndx == SHN_UNDEF) {
    return nullptr;
  }
  return found;
}

bool DefinedByUs(const void* function) {
  Dl_info info;
  return dladdr(function, &info) != 0 && info.dli_fbase == OwnBase();
}

void ResolveAll() {
  bool was_resolving = t_state.resolving;
  t_state.resolving = true;
  // Each store is of a complete, valid pointer, so a thread racing us calls either a resolver
  // (which resolves again, harmlessly) or the real function.
  MallocFn m = Lookup<MallocFn>("malloc", __libc_malloc);
  FreeFn f = Lookup<FreeFn>("free", __libc_free);
  CallocFn c = Lookup<CallocFn>("calloc", __libc_calloc);
  ReallocFn r = Lookup<ReallocFn>("realloc", __libc_realloc);
  MemalignFn ma = Lookup<MemalignFn>("memalign", __libc_memalign);
  MemalignFn aa = Lookup<MemalignFn>("aligned_alloc", __libc_memalign);
  PosixMemalignFn pm = Lookup<PosixMemalignFn>("posix_memalign", nullptr);
  MallocFn va = Lookup<MallocFn>("valloc", __libc_valloc);
  MallocFn pva = Lookup<MallocFn>("pvalloc", __libc_pvalloc);
  UsableSizeFn us = Lookup<UsableSizeFn>("malloc_usable_size", nullptr);
  DlcloseFn dc = Lookup<DlcloseFn>("dlclose", nullptr);
  DlopenFn dop = Lookup<DlopenFn>("dlopen", nullptr);
  ExitFn ex = Lookup<ExitFn>("_exit", ExitGroup);
  real::malloc = m;
  real::free = f;
  real::calloc = c;
  real::realloc = r;
  real::memalign = ma;
  real::aligned_alloc = aa;
  real::posix_memalign = pm;
  real::valloc = va;
  real::pvalloc = pva;
  real::malloc_usable_size = us;
  real::dlclose = dc;
  real::dlopen = dop;
  real::exit_immediately = ex;
  t_state.resolving = was_resolving;
}

void* FindZlibFunction(const char* name) {
  ReentrancyGuard guard;  // dlsym and dlopen allocate
  void* found = dlsym(RTLD_NEXT, name);
  if (found != nullptr) return found;
  void* handle = dlopen("libz.so.1", RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return nullptr;
  found = dlsym(handle, name);
  real::dlclose(handle);  // RTLD_NOLOAD took a reference; libz stays loaded by its owner
  return found;
}

}  // namespace leakscope::recorder::real
