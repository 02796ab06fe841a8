// SPDX-License-Identifier: Apache-2.0
// Which loaded module holds a pc, and where its unwind tables (.eh_frame_hdr) are: the stack
// walk's one question about the program's modules.
//
// glibc 2.35 and later answer it with _dl_find_object (lock-free, made for unwinders), looked up
// with dlsym at start, since a direct reference would make the library need GLIBC_2.35. Older
// glibcs have nothing usable from inside malloc (dl_iterate_phdr and dladdr take the loader's
// lock), so there the recorder keeps its own table:
//   - fixed size (kMaxModules entries, in .bss), never grown; modules beyond it are counted
//     (dropped()) and walks through them stop at their first frame;
//   - filled with dl_iterate_phdr at start and after every dlopen through our hook, never from an
//     allocation hook;
//   - lock-free for readers: an entry is written whole before the count that publishes it, and
//     entries only change while no reader can be looking (below).
//
// Unloading, for both sources: a walk must never read the unwind tables of a module that dlclose
// is unmapping. The dlclose hook calls BeginModuleUnload before the real dlclose: from then on,
// until EndModuleUnload, lookups answer "no module" (a walk then stops at its first uncached
// frame, which is only a shorter stack), and BeginModuleUnload waits until every lookup that
// began earlier has finished with the module's bytes (ModuleLookup's scope). The wait is short:
// a lookup reads one module's FDE and never blocks.
//
// Fork: a child has one thread, so lookups in flight at fork are gone; AfterForkInChild clears
// their count. Writers of the table run inside ForkSections (their callers'), so a child gets it
// whole. An unload in flight in another thread at fork ends in the child where _dl_find_object
// answers; under the table it stays "in progress" there for good: that child's walks stop at
// their first uncached frame, which is safe.
#pragma once

#include <atomic>
#include <cstdint>

namespace leakscope::recorder {

// Entries in the recorder's own table (glibc < 2.35). A JVM has about 60 modules.
inline constexpr uint32_t kMaxModules = 1024;

// Looks up _dl_find_object (dlsym), so walks can use it. Call once, early: the recorder's
// initialisation, which may run inside the first allocation hook (as the resolvers' dlsym does).
// Later calls do nothing.
void InitModuleLookup();

// InitModuleLookup, then, when _dl_find_object is absent (or tests ask for the table), fills the
// table. Call from no allocation hook (dl_iterate_phdr takes the loader's lock): the recorder's
// constructor. Until then, under the table, every pc is in no module. Later calls do nothing.
void InitModuleTable();

// Whether lookups use the recorder's own table (no _dl_find_object, or a test asked for it).
bool ModuleTableInUse();

// Adds the modules loaded since the last refresh (dl_iterate_phdr: the loader's lock; not from an
// allocation hook). Does nothing when the table is not in use.
void RefreshModuleTable();

// The dlclose hook, around the real dlclose (see above). Begin waits for lookups in flight; End
// drops the entries of modules no longer loaded and adds new ones. Pairs nest and may overlap
// between threads.
void BeginModuleUnload();
void EndModuleUnload();

// Fork child, from the child handler: no lookup or unload of another thread is in flight any more
// (but see above for an unload under the table).
void ResetModuleLookupsInChild();

// Modules the full table could not take, since start.
uint64_t ModuleTableDropped();

// One lookup: while it lives, the eh_frame_hdr it returned stays mapped. Allocation hooks may use
// it: no lock, no system call, no allocation (one atomic increment and decrement).
class ModuleLookup {
 public:
  ModuleLookup();
  ~ModuleLookup();
  ModuleLookup(const ModuleLookup&) = delete;
  ModuleLookup& operator=(const ModuleLookup&) = delete;

  enum class Result {
    kFound,         // *eh_frame_hdr is the module's .eh_frame_hdr in memory
    kNoEhFrameHdr,  // pc lies in a module without one
    kNoModule,      // pc lies in no module known (JIT code, a stub), or an unload is under way
  };
  Result Find(uintptr_t pc, const uint8_t** eh_frame_hdr);

 private:
  unsigned slot_;
  bool unloading_;
};

namespace internal {

// Tests: make lookups use the recorder's own table even where _dl_find_object exists (and fill
// it), or go back to _dl_find_object. Also LEAKSCOPE_TEST_MODULE_TABLE=1 in the environment at
// InitModuleLookup, a hidden variable for tests only (not in the options table: users never need
// it). Call while no other thread walks.
void UseModuleTableForTests(bool use);

// Tests: empties the table, lets it hold at most `capacity` entries (kMaxModules at most) and
// refills it. Call while no other thread walks.
void ResetModuleTableForTests(uint32_t capacity);

// The table's entries, for tests: module ranges and their eh_frame_hdr, in table order.
struct ModuleEntry {
  uintptr_t begin, end;
  const uint8_t* eh_frame_hdr;
};
uint32_t ModuleTableSnapshot(ModuleEntry* out, uint32_t capacity);

}  // namespace internal
}  // namespace leakscope::recorder
