// SPDX-License-Identifier: Apache-2.0
#include "allocator_front.h"

#include <dlfcn.h>
#include <string.h>

#include "core/raw_log.h"
#include "real_functions.h"

namespace leakscope::recorder {
namespace {

// Written once by DetectAllocator before the dumper thread starts (thread creation orders it),
// read by the dumper after.
struct Detected {
  bool done;
  format::AllocatorKind kind;
  uint32_t flags;
  jemalloc::MallctlFn mallctl;  // set when jemalloc serves malloc, in either order
  char path[512];
};
constinit Detected g_detected{};

const void* ModuleBase(const void* address, const char** path) {
  Dl_info info;
  if (address == nullptr || dladdr(address, &info) == 0) return nullptr;
  if (path != nullptr) *path = info.dli_fname != nullptr ? info.dli_fname : "";
  return info.dli_fbase;
}

// Reads one size_t statistic; false if jemalloc does not know it (built without stats).
bool ReadStat(jemalloc::MallctlFn mallctl, const char* name, uint64_t* out) {
  size_t value = 0;
  size_t size = sizeof(value);
  if (mallctl(name, &value, &size, nullptr, 0) != 0) return false;
  *out = value;
  return true;
}

}  // namespace

void DetectAllocator(const ReentrancyGuard&, bool routed) {
  Detected& d = g_detected;
  real::ResolveAll();  // real::malloc is now what the program's malloc forwards to, or is
  void* program_malloc = real::GlobalDefinition("malloc");
  bool in_front = !routed && program_malloc != nullptr && !real::DefinedByUs(program_malloc);
  // In front of us it is the program's malloc; behind us, the one our hooks forward to. (They are
  // the same function when jemalloc is in front: see real::Lookup.)
  const char* path = "";
  const void* base =
      ModuleBase(in_front ? program_malloc : reinterpret_cast<void*>(real::malloc), &path);
  strncpy(d.path, path, sizeof(d.path) - 1);
  const char* name = strrchr(d.path, '/') != nullptr ? strrchr(d.path, '/') + 1 : d.path;

  // jemalloc exports mallctl unprefixed when it replaces malloc; it must be the same module's
  // (a program may carry a je_-prefixed copy of its own next to glibc's malloc).
  void* mallctl = dlsym(RTLD_DEFAULT, "mallctl");
  if (base != nullptr && ModuleBase(mallctl, nullptr) == base) {
    d.kind = format::AllocatorKind::kJemalloc;
    d.mallctl = reinterpret_cast<jemalloc::MallctlFn>(mallctl);
  } else if (strncmp(name, "libc.so", 7) == 0) {
    d.kind = format::AllocatorKind::kGlibc;
  } else {
    d.kind = base != nullptr ? format::AllocatorKind::kOther : format::AllocatorKind::kUnknown;
  }

  if (in_front) {
    d.flags |= format::kAllocatorInFront;
    if (d.mallctl != nullptr && jemalloc::InstallHooks(d.mallctl)) {
      d.flags |= format::kAllocatorHooked;
      RawLog(LogLevel::kWarn,
             "malloc is %s's, loaded in front of libleakscope.so; recording through jemalloc's "
             "hooks, which slow jemalloc down: put libleakscope.so first in LD_PRELOAD",
             name);
    } else {
      RawLog(LogLevel::kWarn,
             "malloc is %s's, loaded in front of libleakscope.so: malloc, calloc, realloc and "
             "free are NOT recorded (zlib streams still are); put libleakscope.so first in "
             "LD_PRELOAD",
             name);
    }
  } else if (d.kind != format::AllocatorKind::kGlibc) {
    RawLog(LogLevel::kInfo, "malloc forwards to %s", name);
  }
  d.done = true;
}

bool ReadAllocator(const ReentrancyGuard&, format::AllocatorFixed* fixed, std::string* path) {
  const Detected& d = g_detected;
  if (!d.done) return false;
  *fixed = format::AllocatorFixed{};
  fixed->kind = static_cast<uint32_t>(d.kind);
  fixed->flags = d.flags;
  path->assign(d.path);
  if (d.mallctl == nullptr) return true;
  // jemalloc's statistics are a snapshot taken when the epoch advances.
  uint64_t epoch = 1;
  size_t epoch_size = sizeof(epoch);
  if (d.mallctl("epoch", &epoch, &epoch_size, &epoch, epoch_size) == 0 &&
      ReadStat(d.mallctl, "stats.allocated", &fixed->allocated) &&
      ReadStat(d.mallctl, "stats.active", &fixed->active) &&
      ReadStat(d.mallctl, "stats.resident", &fixed->resident) &&
      ReadStat(d.mallctl, "stats.mapped", &fixed->mapped) &&
      ReadStat(d.mallctl, "stats.retained", &fixed->retained)) {
    fixed->flags |= format::kAllocatorStats;
  }
  return true;
}

}  // namespace leakscope::recorder
