// SPDX-License-Identifier: Apache-2.0
#include "module_registry.h"

#include <elf.h>
#include <limits.h>
#include <link.h>
#include <linux/futex.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

#include "core/clock.h"
#include "core/raw_log.h"
#include "fork_gate.h"
#include "recorder.h"

namespace leakscope::recorder {
namespace {

pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
// Heap-allocated on first use (under a guard, so untracked) and never freed: it must outlive
// static destructors, since the exit dump runs from one.
std::vector<ModuleInfo>* g_modules = nullptr;

// 1 once a walk of the module list is known to return in this process: always, but in a fork
// child until ProveLoader's walk has returned (see the header). A futex word.
constinit std::atomic<uint32_t> g_loader_proven{1};
constinit std::atomic<bool> g_said_unproven{false};
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "futex word");

std::string ReadBuildId(const dl_phdr_info* info) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
    if (phdr.p_type != PT_NOTE) continue;
    const char* p = reinterpret_cast<const char*>(info->dlpi_addr + phdr.p_vaddr);
    const char* end = p + phdr.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      const auto* note = reinterpret_cast<const ElfW(Nhdr)*>(p);
      const char* name = p + sizeof(ElfW(Nhdr));
      const char* desc = name + ((note->n_namesz + 3) & ~3u);
      const char* next = desc + ((note->n_descsz + 3) & ~3u);
      if (next > end) break;
      if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
        return std::string(desc, note->n_descsz);
      }
      p = next;
    }
  }
  return {};
}

std::string ExecutablePath() {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  return n > 0 ? std::string(path, static_cast<size_t>(n)) : std::string();
}

int CollectOne(dl_phdr_info* info, size_t, void* data) {
  auto* out = static_cast<std::vector<ModuleInfo>*>(data);
  ModuleInfo module;
  uintptr_t lowest = UINTPTR_MAX, highest = 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
    if (phdr.p_type != PT_LOAD) continue;
    if (phdr.p_vaddr < lowest) lowest = phdr.p_vaddr;
    if (phdr.p_vaddr + phdr.p_memsz > highest) highest = phdr.p_vaddr + phdr.p_memsz;
  }
  if (highest == 0) return 0;
  module.fixed.start = info->dlpi_addr + lowest;
  module.fixed.end = info->dlpi_addr + highest;
  module.fixed.bias = info->dlpi_addr;
  bool is_main = out->empty();  // dl_iterate_phdr reports the executable first
  module.fixed.flags = is_main ? format::kModuleMain : 0;
  module.path =
      (info->dlpi_name && info->dlpi_name[0]) ? info->dlpi_name : (is_main ? ExecutablePath() : "");
  module.build_id = ReadBuildId(info);
  out->push_back(std::move(module));
  return 0;
}

bool SameModule(const ModuleInfo& a, const ModuleInfo& b) {
  return a.fixed.start == b.fixed.start && a.fixed.bias == b.fixed.bias && a.path == b.path &&
         a.build_id == b.build_id;
}

int64_t MonotonicMs() { return MonotonicNs() / 1'000'000; }

// Whether a walk may start: at once but in a fork child, where it waits (a futex, at most
// kLoaderWaitMs) for ProveLoader.
bool LoaderProven() {
  if (g_loader_proven.load(std::memory_order_acquire) != 0) return true;
  int64_t deadline = MonotonicMs() + kLoaderWaitMs;
  for (int64_t now = MonotonicMs(); now < deadline; now = MonotonicMs()) {
    timespec timeout{static_cast<time_t>((deadline - now) / 1000),
                     static_cast<long>((deadline - now) % 1000) * 1'000'000};
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&g_loader_proven), FUTEX_WAIT_PRIVATE, 0,
            &timeout, nullptr, 0);
    if (g_loader_proven.load(std::memory_order_acquire) != 0) return true;
  }
  if (!g_said_unproven.exchange(true)) {
    RawLog(LogLevel::kWarn,
           "pid %d: the loader's lock was held by another thread of its parent at fork; its "
           "dumps list the modules known at fork",
           static_cast<int>(getpid()));
  }
  return false;
}

// Walks the module list and merges it into the registry.
void Refresh(const ReentrancyGuard& guard) {
  ForkSection section(guard);  // dl_iterate_phdr holds the loader's lock: see the header
  std::vector<ModuleInfo> loaded;
  dl_iterate_phdr(CollectOne, &loaded);  // before the mutex: see the header
  pthread_mutex_lock(&g_mutex);
  if (g_modules == nullptr) g_modules = new std::vector<ModuleInfo>();
  // A module gone since the last walk ends the mapping epoch: its addresses may be reused from
  // now on. Stacks interned after the store carry the new epoch (recorder.h).
  const uint32_t epoch = g_recorder.mapping_epoch.load(std::memory_order_relaxed);
  bool unmapped = false;
  for (ModuleInfo& known : *g_modules) {
    if (known.fixed.flags & format::kModuleUnloaded) continue;
    bool still_loaded = false;
    for (const ModuleInfo& now : loaded) still_loaded |= SameModule(known, now);
    if (still_loaded) continue;
    known.fixed.flags |= format::kModuleUnloaded;
    known.epochs.unloaded_epoch = epoch + 1;
    unmapped = true;
  }
  if (unmapped) g_recorder.mapping_epoch.store(epoch + 1, std::memory_order_relaxed);
  for (ModuleInfo& now : loaded) {
    bool known = false;
    for (const ModuleInfo& old : *g_modules) {
      known |= SameModule(old, now) && !(old.fixed.flags & format::kModuleUnloaded);
    }
    if (known) continue;
    now.epochs_known = true;
    now.epochs = format::ModuleEpochs{MappingEpoch(), format::kEpochNever};
    g_modules->push_back(std::move(now));
  }
  pthread_mutex_unlock(&g_mutex);
}

}  // namespace

void RefreshModules(const ReentrancyGuard& guard) {
  if (LoaderProven()) Refresh(guard);
}

void DistrustLoaderAfterFork() {
  g_loader_proven.store(0, std::memory_order_relaxed);
  g_said_unproven.store(false, std::memory_order_relaxed);
}

void ProveLoader(const ReentrancyGuard& guard) {
  if (g_loader_proven.load(std::memory_order_acquire) != 0) return;
  {
    // A lock held by a thread that did not come along is never released: taking it once is
    // proof enough, and the first module is as good as all of them.
    ForkSection section(guard);
    dl_iterate_phdr([](dl_phdr_info*, size_t, void*) { return 1; }, nullptr);
  }
  g_loader_proven.store(1, std::memory_order_release);
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&g_loader_proven), FUTEX_WAKE_PRIVATE, INT32_MAX,
          nullptr, nullptr, 0);
}

std::vector<ModuleInfo> SnapshotModules(const ReentrancyGuard& guard) {
  ForkSection section(guard);
  pthread_mutex_lock(&g_mutex);
  std::vector<ModuleInfo> copy;
  if (g_modules != nullptr) copy = *g_modules;
  pthread_mutex_unlock(&g_mutex);
  return copy;
}

}  // namespace leakscope::recorder
