// SPDX-License-Identifier: Apache-2.0
#include "module_table.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/raw_log.h"

namespace leakscope::recorder {
namespace {

#ifdef DLFO_STRUCT_HAS_EH_DBASE
using DlFindObjectFn = int (*)(void*, dl_find_object*);
// Set once by InitModuleTable, before any walk: glibc's, or nullptr.
DlFindObjectFn g_dl_find_object = nullptr;
#endif

std::atomic<bool> g_use_table{false};
bool g_lookup_initialized = false;
bool g_table_initialized = false;

// The table. Entries [0, g_count) are valid; an entry is written whole before the release store
// of g_count that publishes it. Entries are only rewritten (compacted) while an unload is under
// way, when no lookup reads the table. All writers hold g_writer.
struct Slot {
  std::atomic<uintptr_t> begin, end;
  std::atomic<const uint8_t*> eh_frame_hdr;
};
Slot g_slots[kMaxModules];
std::atomic<uint32_t> g_count{0};
std::atomic<uint64_t> g_dropped{0};
uint32_t g_capacity = kMaxModules;  // smaller only in tests
// Writers of the table. Held across dl_iterate_phdr, which takes only the loader's write lock,
// and glibc never calls out (into code that could take ours) while holding that one.
pthread_mutex_t g_writer = PTHREAD_MUTEX_INITIALIZER;

// Lookups in flight, in two generations: an unload bumps the generation and waits for the old
// one to drain, while lookups that begin meanwhile count in the new one (and see the unload), so
// a steady stream of lookups cannot keep an unload waiting. Separate cache lines: the counters
// are written only on frame-shape cache misses, never on the malloc fast path.
alignas(64) std::atomic<uint32_t> g_generation{0};
alignas(64) std::atomic<int64_t> g_lookups[2][8];  // [generation & 1][0]; padded to a line each
alignas(64) std::atomic<uint32_t> g_unloads{0};    // dlcloses between Begin and End
// One grace period (flip + drain) at a time: an unload that flipped the generation after another
// one must not return before the lookups the other one drains have ended.
pthread_mutex_t g_grace = PTHREAD_MUTEX_INITIALIZER;

std::atomic<int64_t>& Lookups(unsigned slot) { return g_lookups[slot][0]; }

// How long an unload waits for lookups in flight. They take microseconds; the bound is for a
// lookup that cannot end (a signal handler that interrupted one, then called dlclose).
constexpr int kUnloadWaitMs = 1000;

bool NameIsGconv(const char* name) { return name != nullptr && strstr(name, "/gconv/") != nullptr; }

struct Refresh {
  bool seen[kMaxModules];
  uint32_t left_out;
};

int AddModule(dl_phdr_info* info, size_t, void* data) {
  auto* refresh = static_cast<Refresh*>(data);
  // glibc unloads gconv modules (iconv) by itself, through its private dlclose, which our hook
  // never sees: a walk through one would read unwind tables that may vanish. iconv's code is not
  // where leaks are found; walks stop there.
  if (NameIsGconv(info->dlpi_name)) return 0;
  uintptr_t lowest = UINTPTR_MAX, highest = 0;
  const uint8_t* hdr = nullptr;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type == PT_LOAD && ph.p_memsz != 0) {
      if (ph.p_vaddr < lowest) lowest = ph.p_vaddr;
      if (ph.p_vaddr + ph.p_memsz > highest) highest = ph.p_vaddr + ph.p_memsz;
    } else if (ph.p_type == PT_GNU_EH_FRAME) {
      hdr = reinterpret_cast<const uint8_t*>(info->dlpi_addr + ph.p_vaddr);
    }
  }
  if (highest <= lowest) return 0;
  uintptr_t begin = info->dlpi_addr + lowest, end = info->dlpi_addr + highest;
  uint32_t n = g_count.load(std::memory_order_relaxed);
  for (uint32_t i = 0; i < n; ++i) {
    if (g_slots[i].begin.load(std::memory_order_relaxed) == begin &&
        g_slots[i].end.load(std::memory_order_relaxed) == end &&
        g_slots[i].eh_frame_hdr.load(std::memory_order_relaxed) == hdr) {
      refresh->seen[i] = true;
      return 0;
    }
  }
  if (n >= g_capacity) {
    ++refresh->left_out;
    return 0;
  }
  g_slots[n].begin.store(begin, std::memory_order_relaxed);
  g_slots[n].end.store(end, std::memory_order_relaxed);
  g_slots[n].eh_frame_hdr.store(hdr, std::memory_order_relaxed);
  refresh->seen[n] = true;
  g_count.store(n + 1, std::memory_order_release);
  return 0;
}

// Only with no lookup reading the table (inside an unload, after the drain).
void RemoveUnseen(const Refresh& refresh, uint32_t n_before) {
  uint32_t n = g_count.load(std::memory_order_relaxed), kept = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (i < n_before && !refresh.seen[i]) continue;
    if (kept != i) {
      g_slots[kept].begin.store(g_slots[i].begin.load(std::memory_order_relaxed),
                                std::memory_order_relaxed);
      g_slots[kept].end.store(g_slots[i].end.load(std::memory_order_relaxed),
                              std::memory_order_relaxed);
      g_slots[kept].eh_frame_hdr.store(g_slots[i].eh_frame_hdr.load(std::memory_order_relaxed),
                                       std::memory_order_relaxed);
    }
    ++kept;
  }
  g_count.store(kept, std::memory_order_release);
}

// `remove_gone` only inside an unload: see RemoveUnseen.
void RefreshTable(bool remove_gone) {
  // Static: 1 KiB of flags is too much for a small thread stack; g_writer guards it.
  static Refresh refresh;
  pthread_mutex_lock(&g_writer);
  memset(&refresh, 0, sizeof refresh);
  uint32_t n_before = g_count.load(std::memory_order_relaxed);
  dl_iterate_phdr(AddModule, &refresh);
  if (remove_gone) {
    RemoveUnseen(refresh, n_before);
    // Modules left out for want of room may fit now.
    if (refresh.left_out != 0) {
      memset(&refresh, 0, sizeof refresh);
      dl_iterate_phdr(AddModule, &refresh);
    }
  }
  uint64_t before = g_dropped.exchange(refresh.left_out, std::memory_order_relaxed);
  pthread_mutex_unlock(&g_writer);
  if (refresh.left_out != 0 && before == 0) {
    RawLog(LogLevel::kWarn,
           "the module table is full (%u modules): stacks through %u later ones stop there",
           kMaxModules, refresh.left_out);
  }
}

void SleepBriefly() {
  timespec pause{0, 50'000};  // 50 us
  nanosleep(&pause, nullptr);
}

}  // namespace

void InitModuleLookup() {
  if (g_lookup_initialized) return;
  g_lookup_initialized = true;
  bool use_table = true;
#ifdef DLFO_STRUCT_HAS_EH_DBASE
  g_dl_find_object = reinterpret_cast<DlFindObjectFn>(dlsym(RTLD_DEFAULT, "_dl_find_object"));
  use_table = g_dl_find_object == nullptr;
#endif
  const char* test = getenv("LEAKSCOPE_TEST_MODULE_TABLE");
  if (test != nullptr && test[0] == '1') use_table = true;
  g_use_table.store(use_table, std::memory_order_relaxed);
}

void InitModuleTable() {
  InitModuleLookup();
  if (g_table_initialized) return;
  g_table_initialized = true;
  if (ModuleTableInUse()) RefreshTable(false);
}

bool ModuleTableInUse() { return g_use_table.load(std::memory_order_relaxed); }

void RefreshModuleTable() {
  if (ModuleTableInUse()) RefreshTable(false);
}

void BeginModuleUnload() {
  g_unloads.fetch_add(1, std::memory_order_seq_cst);
  pthread_mutex_lock(&g_grace);
  unsigned old = g_generation.fetch_add(1, std::memory_order_seq_cst) & 1;
  // Every lookup counted in the old generation began before the unload was visible; lookups
  // counted in the new one see it and read nothing (see ModuleLookup).
  timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (int spins = 0; Lookups(old).load(std::memory_order_seq_cst) > 0; ++spins) {
    if (spins < 100) {
      sched_yield();
      continue;
    }
    SleepBriefly();
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1'000'000 >
        kUnloadWaitMs) {
      RawLog(LogLevel::kWarn, "a stack walk did not finish within %d ms of a dlclose",
             kUnloadWaitMs);
      break;
    }
  }
  pthread_mutex_unlock(&g_grace);
}

void EndModuleUnload() {
  if (ModuleTableInUse()) RefreshTable(true);
  g_unloads.fetch_sub(1, std::memory_order_seq_cst);
}

void ResetModuleLookupsInChild() {
  Lookups(0).store(0, std::memory_order_relaxed);
  Lookups(1).store(0, std::memory_order_relaxed);
  // A dlclose another thread had in flight is gone with that thread. With _dl_find_object, what
  // the child finds is glibc's own state at fork, which glibc keeps consistent for lookups (it
  // drops an object from them before unmapping it): lookups may resume. Our table may still list
  // a module that dlclose had half unmapped, and no refresh here can tell (the loader's lock may
  // be held for good in the child): such a child keeps answering "no module" (short stacks, no
  // fault).
  if (!ModuleTableInUse()) g_unloads.store(0, std::memory_order_relaxed);
  // The child's only thread may have been inside our mutex only in a ForkSection, which fork
  // waits out; another thread's hold is not inherited as such, so start from a fresh one.
  g_writer = PTHREAD_MUTEX_INITIALIZER;
  g_grace = PTHREAD_MUTEX_INITIALIZER;
}

uint64_t ModuleTableDropped() { return g_dropped.load(std::memory_order_relaxed); }

ModuleLookup::ModuleLookup() {
  // seq_cst like the rest of the protocol (a plain load on x86): where loads may be reordered
  // (arm64), a relaxed read of a new generation must not pair with a stale g_unloads.
  uint32_t generation = g_generation.load(std::memory_order_seq_cst);
  slot_ = generation & 1;
  Lookups(slot_).fetch_add(1, std::memory_order_seq_cst);
  // A flip between the load and the increment may have drained slot_ before we were counted in
  // it: then an unload is (or was) under way, so read nothing.
  unloading_ = g_unloads.load(std::memory_order_seq_cst) != 0 ||
               g_generation.load(std::memory_order_seq_cst) != generation;
}

ModuleLookup::~ModuleLookup() { Lookups(slot_).fetch_sub(1, std::memory_order_release); }

ModuleLookup::Result ModuleLookup::Find(uintptr_t pc, const uint8_t** eh_frame_hdr) {
  if (unloading_) return Result::kNoModule;
  if (!g_use_table.load(std::memory_order_relaxed)) {
#ifdef DLFO_STRUCT_HAS_EH_DBASE
    dl_find_object object;
    if (g_dl_find_object == nullptr ||
        g_dl_find_object(reinterpret_cast<void*>(pc), &object) != 0) {
      return Result::kNoModule;
    }
    if (object.dlfo_eh_frame == nullptr) return Result::kNoEhFrameHdr;
    *eh_frame_hdr = static_cast<const uint8_t*>(object.dlfo_eh_frame);
    return Result::kFound;
#else
    return Result::kNoModule;
#endif
  }
  // A linear scan: it runs only on frame-shape cache misses, and a JVM has about 60 modules.
  uint32_t n = g_count.load(std::memory_order_acquire);
  for (uint32_t i = 0; i < n; ++i) {
    uintptr_t begin = g_slots[i].begin.load(std::memory_order_relaxed);
    if (pc - begin < g_slots[i].end.load(std::memory_order_relaxed) - begin) {
      const uint8_t* hdr = g_slots[i].eh_frame_hdr.load(std::memory_order_relaxed);
      if (hdr == nullptr) return Result::kNoEhFrameHdr;
      *eh_frame_hdr = hdr;
      return Result::kFound;
    }
  }
  return Result::kNoModule;
}

namespace internal {

void UseModuleTableForTests(bool use) {
  InitModuleTable();
#ifdef DLFO_STRUCT_HAS_EH_DBASE
  if (!use && g_dl_find_object == nullptr) return;  // nothing else to use
#endif
  g_use_table.store(use, std::memory_order_relaxed);
  if (use) RefreshTable(false);
}

void ResetModuleTableForTests(uint32_t capacity) {
  pthread_mutex_lock(&g_writer);
  g_capacity = capacity < kMaxModules ? capacity : kMaxModules;
  g_count.store(0, std::memory_order_release);
  g_dropped.store(0, std::memory_order_relaxed);
  pthread_mutex_unlock(&g_writer);
  RefreshTable(false);
}

uint32_t ModuleTableSnapshot(ModuleEntry* out, uint32_t capacity) {
  pthread_mutex_lock(&g_writer);
  uint32_t n = g_count.load(std::memory_order_relaxed);
  if (n > capacity) n = capacity;
  for (uint32_t i = 0; i < n; ++i) {
    out[i] = {g_slots[i].begin.load(std::memory_order_relaxed),
              g_slots[i].end.load(std::memory_order_relaxed),
              g_slots[i].eh_frame_hdr.load(std::memory_order_relaxed)};
  }
  pthread_mutex_unlock(&g_writer);
  return n;
}

}  // namespace internal
}  // namespace leakscope::recorder
