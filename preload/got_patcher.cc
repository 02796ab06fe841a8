// SPDX-License-Identifier: Apache-2.0
#include "got_patcher.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "real_functions.h"

namespace leakscope::recorder {
namespace {

#if defined(__x86_64__)
constexpr uint32_t kJumpSlot = R_X86_64_JUMP_SLOT;
constexpr uint32_t kGlobDat = R_X86_64_GLOB_DAT;
#elif defined(__aarch64__)
constexpr uint32_t kJumpSlot = R_AARCH64_JUMP_SLOT;
constexpr uint32_t kGlobDat = R_AARCH64_GLOB_DAT;
#else
#error "got_patcher: no relocation types for this architecture"
#endif

pthread_mutex_t g_pass_mutex = PTHREAD_MUTEX_INITIALIZER;
// The loader's load and unload counts at the last pass, and whether it left modules for later:
// a pass with neither new modules nor deferred ones has nothing to do (the dumper asks every
// second). Under g_pass_mutex.
unsigned long long g_seen_adds = 0, g_seen_subs = 0;
bool g_pass_needed = true;

struct LoaderCounts {
  unsigned long long adds = 0, subs = 0;
};

int ReadCounts(dl_phdr_info* info, size_t size, void* data) {
  auto* counts = static_cast<LoaderCounts*>(data);
  if (size >= offsetof(dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs)) {
    counts->adds = info->dlpi_adds;
    counts->subs = info->dlpi_subs;
  }
  return 1;  // the counts are the same in every entry
}

struct Mapping {
  uintptr_t begin, end;
  bool readable, writable, executable;
};

// /proc/self/maps, in address order. Read with plain read(2): no stdio buffer of the host's.
std::vector<Mapping> ReadMappings() {
  std::vector<Mapping> maps;
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return maps;
  std::string text;
  char buffer[16384];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  size_t line = 0;
  while (line < text.size()) {
    size_t end = text.find('\n', line);
    if (end == std::string::npos) end = text.size();
    const char* p = text.c_str() + line;
    char* next = nullptr;
    Mapping m{};
    m.begin = strtoull(p, &next, 16);
    if (next != nullptr && *next == '-') {
      m.end = strtoull(next + 1, &next, 16);
      if (next != nullptr && *next == ' ' && next + 4 <= text.c_str() + end) {
        m.readable = next[1] == 'r';
        m.writable = next[2] == 'w';
        m.executable = next[3] == 'x';
        if (m.end > m.begin) maps.push_back(m);
      }
    }
    line = end + 1;
  }
  return maps;
}

const Mapping* FindMapping(const std::vector<Mapping>& maps, uintptr_t address) {
  auto it = std::upper_bound(maps.begin(), maps.end(), address,
                             [](uintptr_t a, const Mapping& m) { return a < m.begin; });
  if (it == maps.begin()) return nullptr;
  --it;
  return address < it->end ? &*it : nullptr;
}

// Whether [address, address + size) is readable memory.
bool Readable(const std::vector<Mapping>& maps, uintptr_t address, size_t size) {
  while (size > 0) {
    const Mapping* m = FindMapping(maps, address);
    if (m == nullptr || !m->readable) return false;
    size_t here = std::min<uintptr_t>(size, m->end - address);
    address += here;
    size -= here;
  }
  return true;
}

struct Module {
  std::string name;
  uintptr_t base;
  std::vector<ElfW(Phdr)> phdrs;
};

int CollectModule(dl_phdr_info* info, size_t, void* data) {
  auto* modules = static_cast<std::vector<Module>*>(data);
  Module m;
  m.name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  m.base = info->dlpi_addr;
  m.phdrs.assign(info->dlpi_phdr, info->dlpi_phdr + info->dlpi_phnum);
  modules->push_back(std::move(m));
  return 0;
}

// Modules whose slots are never ours to change: this library (it calls the real functions
// through real_functions.h), the dynamic loader (its own malloc until libc's is set up) and the
// vDSO (no imports).
bool Excluded(const Module& m, const std::string& self) {
  if (m.name == self) return true;
  if (m.base == getauxval(AT_BASE) && m.base != 0) return true;
  if (m.base == getauxval(AT_SYSINFO_EHDR) && m.base != 0) return true;
  return m.name.find("linux-vdso") != std::string::npos ||
         m.name.find("linux-gate") != std::string::npos;
}

std::string OwnPath() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&PatchLoadedModules), &info) == 0 ||
      info.dli_fname == nullptr) {
    return {};
  }
  return info.dli_fname;
}

// Whether the module listed as `m` is the one now mapped at its address (checked while it is
// held open): its first loaded segment still belongs to a module of that name.
bool StillMappedAt(const Module& m) {
  for (const ElfW(Phdr) & ph : m.phdrs) {
    if (ph.p_type != PT_LOAD) continue;
    Dl_info info;
    return dladdr(reinterpret_cast<void*>(m.base + ph.p_vaddr), &info) != 0 &&
           info.dli_fname != nullptr && m.name == info.dli_fname;
  }
  return false;
}

// Whether `address` lies in one of the module's loaded segments (its PLT, for a slot that lazy
// binding has not resolved yet).
bool InModule(const Module& m, uintptr_t address) {
  for (const ElfW(Phdr) & ph : m.phdrs) {
    if (ph.p_type == PT_LOAD && address - (m.base + ph.p_vaddr) < ph.p_memsz) return true;
  }
  return false;
}

// Whether `address` is where a function named `name` begins: a slot bound to a definition (the
// module's own, under RTLD_DEEPBIND), not to a PLT stub waiting for lazy binding.
bool IsDefinition(uintptr_t address, const char* name) {
  Dl_info info;
  return dladdr(reinterpret_cast<void*>(address), &info) != 0 && info.dli_sname != nullptr &&
         info.dli_saddr == reinterpret_cast<void*>(address) && strcmp(info.dli_sname, name) == 0;
}

// Addresses in the dynamic section: glibc relocates them in place, other loaders may not.
uintptr_t DynamicAddress(const Module& m, uintptr_t value) {
  return value < m.base ? value + m.base : value;
}

struct Slot {
  uintptr_t* address;
  void* function;
  bool in_relro;
  bool lazy;  // still bound to the module's own PLT: the loader may bind it under our store
};

enum class Verdict { kDone, kDeferred, kUnreadable };

// The slots of `m` to rewrite, checked as got_patcher.h says. kDeferred: the loader is not done
// with the module yet.
Verdict FindSlots(const Module& m, std::span<const GotHook> hooks, const std::vector<Mapping>& maps,
                  std::vector<Slot>* slots) {
  const ElfW(Dyn)* dynamic = nullptr;
  uintptr_t relro_begin = 0, relro_end = 0;
  const long page = sysconf(_SC_PAGESIZE);
  for (const ElfW(Phdr) & ph : m.phdrs) {
    if (ph.p_type == PT_DYNAMIC) {
      dynamic = reinterpret_cast<const ElfW(Dyn)*>(m.base + ph.p_vaddr);
    } else if (ph.p_type == PT_GNU_RELRO) {
      // What the loader protects: whole pages only (the last, partial one stays writable).
      relro_begin = (m.base + ph.p_vaddr) & ~static_cast<uintptr_t>(page - 1);
      relro_end = (m.base + ph.p_vaddr + ph.p_memsz) & ~static_cast<uintptr_t>(page - 1);
    }
  }
  if (dynamic == nullptr) return Verdict::kDone;  // a static executable imports nothing
  uintptr_t symtab = 0, strtab = 0, strsz = 0, jmprel = 0, pltrelsz = 0, rela = 0, relasz = 0;
  int64_t pltrel = DT_RELA;
  for (const ElfW(Dyn)* d = dynamic;; ++d) {
    if (!Readable(maps, reinterpret_cast<uintptr_t>(d), sizeof(*d))) return Verdict::kUnreadable;
    if (d->d_tag == DT_NULL) break;
    switch (d->d_tag) {
      case DT_SYMTAB:
        symtab = DynamicAddress(m, d->d_un.d_ptr);
        break;
      case DT_STRTAB:
        strtab = DynamicAddress(m, d->d_un.d_ptr);
        break;
      case DT_STRSZ:
        strsz = d->d_un.d_val;
        break;
      case DT_JMPREL:
        jmprel = DynamicAddress(m, d->d_un.d_ptr);
        break;
      case DT_PLTRELSZ:
        pltrelsz = d->d_un.d_val;
        break;
      case DT_PLTREL:
        pltrel = static_cast<int64_t>(d->d_un.d_val);
        break;
      case DT_RELA:
        rela = DynamicAddress(m, d->d_un.d_ptr);
        break;
      case DT_RELASZ:
        relasz = d->d_un.d_val;
        break;
      default:
        break;
    }
  }
  if (symtab == 0 || strtab == 0 || !Readable(maps, strtab, strsz)) return Verdict::kUnreadable;
  bool deferred = false;
  auto scan = [&](uintptr_t table, uintptr_t size) {
    if (table == 0 || size == 0) return;
    if (!Readable(maps, table, size)) return;
    const auto* relocs = reinterpret_cast<const ElfW(Rela)*>(table);
    for (size_t i = 0; i < size / sizeof(ElfW(Rela)); ++i) {
      uint32_t type = ELF64_R_TYPE(relocs[i].r_info);
      uint32_t index = ELF64_R_SYM(relocs[i].r_info);
      if ((type != kJumpSlot && type != kGlobDat) || index == 0) continue;
      const auto* sym = reinterpret_cast<const ElfW(Sym)*>(symtab) + index;
      if (!Readable(maps, reinterpret_cast<uintptr_t>(sym), sizeof(*sym)) ||
          sym->st_name >= strsz) {
        continue;
      }
      const char* name = reinterpret_cast<const char*>(strtab) + sym->st_name;
      const GotHook* hook = nullptr;
      for (const GotHook& h : hooks) {
        if (h.name[0] == name[0] && strcmp(h.name, name) == 0) hook = &h;
      }
      if (hook == nullptr) continue;
      uintptr_t address = m.base + relocs[i].r_offset;
      if ((address & (sizeof(void*) - 1)) != 0) continue;
      const Mapping* mapping = FindMapping(maps, address);
      if (mapping == nullptr || !mapping->readable) continue;
      auto* slot = reinterpret_cast<uintptr_t*>(address);
      uintptr_t current = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
      if (current == reinterpret_cast<uintptr_t>(hook->function)) continue;  // done already
      const Mapping* target = FindMapping(maps, current);
      bool in_relro = address >= relro_begin && address < relro_end;
      // Unrelocated (a link-time offset), or RELRO not applied yet: the loader is still at work.
      if (target == nullptr || !target->executable || (in_relro && mapping->writable)) {
        deferred = true;
        return;
      }
      // Bound to what the hook forwards to, or still to the module's own PLT: else leave it.
      bool bound_as_expected =
          hook->forwards_to != nullptr && current == reinterpret_cast<uintptr_t>(hook->forwards_to);
      if (!bound_as_expected && (!InModule(m, current) || IsDefinition(current, name))) continue;
      if (!in_relro && !mapping->writable) continue;  // not a slot the loader left writable
      slots->push_back(Slot{slot, hook->function, in_relro, !bound_as_expected});
    }
  };
  scan(jmprel, pltrel == DT_RELA ? pltrelsz : 0);
  scan(rela, relasz);
  if (deferred) {
    slots->clear();
    return Verdict::kDeferred;
  }
  return Verdict::kDone;
}

// One aligned store per slot; a read-only RELRO page is writable for that store only.
uint32_t Rewrite(const std::vector<Slot>& slots) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uint32_t done = 0;
  for (const Slot& s : slots) {
    void* page_start =
        reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(s.address) & ~(page - 1));
    if (s.in_relro && mprotect(page_start, page, PROT_READ | PROT_WRITE) != 0) continue;
    __atomic_store_n(s.address, reinterpret_cast<uintptr_t>(s.function), __ATOMIC_RELEASE);
    if (s.in_relro) mprotect(page_start, page, PROT_READ);
    ++done;
  }
  return done;
}

}  // namespace

GotPassResult PatchLoadedModules(std::span<const GotHook> hooks) {
  GotPassResult result;
  pthread_mutex_lock(&g_pass_mutex);
  LoaderCounts counts;
  dl_iterate_phdr(ReadCounts, &counts);
  if (!g_pass_needed && counts.adds == g_seen_adds && counts.subs == g_seen_subs) {
    pthread_mutex_unlock(&g_pass_mutex);
    return result;
  }
  std::vector<Module> modules;
  dl_iterate_phdr(CollectModule, &modules);  // copied out: no dlopen under the loader's lock
  std::vector<Mapping> maps = ReadMappings();
  const std::string self = OwnPath();
  std::vector<Slot> slots;
  // A lazily bound slot rewritten now may be overwritten a moment later by the loader, binding
  // the same slot for another thread's first call (its store is unconditional): then that
  // module's frees, say, go past the hook for good and its sampled blocks look leaked. One more
  // pass finds the slot bound to the real function and rewrites it again.
  bool lazy_rewritten = false;
  for (const Module& m : modules) {
    if (Excluded(m, self)) continue;
    // Held open while its slots change; a module gone since the listing is skipped. The
    // executable (no name) is never unloaded.
    void* handle = nullptr;
    if (!m.name.empty()) {
      handle = real::dlopen(m.name.c_str(), RTLD_LAZY | RTLD_NOLOAD);
      if (handle == nullptr) continue;
      if (!StillMappedAt(m)) {  // unloaded and loaded again elsewhere since the listing
        real::dlclose(handle);
        continue;
      }
    }
    slots.clear();
    Verdict verdict = FindSlots(m, hooks, maps, &slots);
    if (verdict == Verdict::kDeferred) ++result.modules_deferred;
    if (!slots.empty()) {
      uint32_t rewritten = Rewrite(slots);
      result.slots_patched += rewritten;
      if (rewritten != 0) ++result.modules_patched;
      for (const Slot& slot : slots) lazy_rewritten |= slot.lazy;
    }
    if (handle != nullptr) real::dlclose(handle);
  }
  g_seen_adds = counts.adds;
  g_seen_subs = counts.subs;
  g_pass_needed = result.modules_deferred != 0 || lazy_rewritten;
  pthread_mutex_unlock(&g_pass_mutex);
  return result;
}

}  // namespace leakscope::recorder
