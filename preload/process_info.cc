// SPDX-License-Identifier: Apache-2.0
#include "process_info.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>

#include "core/bulk_memory.h"

namespace leakscope::recorder {
namespace {

// malloc's own figures. mallinfo2 (glibc 2.33) is looked up at run time, since a direct call
// would make the library need GLIBC_2.33; before it, mallinfo's int fields serve, and they wrap
// past 2 GiB (read as unsigned, they are right up to 4 GiB, modulo 4 GiB beyond: the dump's
// malloc_* figures are then low, and RSS is the figure to trust).
struct MallocFigures {
  uint64_t arena, hblkhd, uordblks, fordblks;
};
MallocFigures ReadMallocFigures() {
  struct Mallinfo2 {  // glibc's struct mallinfo2: ten size_t fields
    size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
  };
  using Mallinfo2Fn = Mallinfo2 (*)();
  using MallinfoFn = struct mallinfo (*)();
  // Looked up once, on the dumper thread (dlsym takes the loader's lock: never in a hook).
  static const auto mallinfo2_fn = reinterpret_cast<Mallinfo2Fn>(dlsym(RTLD_DEFAULT, "mallinfo2"));
  if (mallinfo2_fn != nullptr) {
    Mallinfo2 info = mallinfo2_fn();
    return {info.arena, info.hblkhd, info.uordblks, info.fordblks};
  }
  static const auto mallinfo_fn = reinterpret_cast<MallinfoFn>(dlsym(RTLD_DEFAULT, "mallinfo"));
  if (mallinfo_fn == nullptr) return {};
  struct mallinfo info = mallinfo_fn();
  return {static_cast<unsigned>(info.arena), static_cast<unsigned>(info.hblkhd),
          static_cast<unsigned>(info.uordblks), static_cast<unsigned>(info.fordblks)};
}

BulkString ReadSmallFile(const char* path) {
  BulkString text;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > (1 << 20)) break;  // a command line longer than 1 MiB is cut
  }
  close(fd);
  return text;
}

// "VmRSS:     1234 kB" -> bytes.
uint64_t StatusField(const BulkString& status, const char* name) {
  size_t at = status.find(name);
  if (at == BulkString::npos) return 0;
  return strtoull(status.c_str() + at + strlen(name), nullptr, 10) * 1024;
}

// glibc reports one <heap nr="N"> per arena in malloc_info's XML; counting them is the only
// public way to learn how many arenas exist (an executor's pmap full of 64 MiB anonymous regions is
// many arenas).
uint64_t CountArenas() {
  char* text = nullptr;
  size_t size = 0;
  FILE* stream = open_memstream(&text, &size);
  if (stream == nullptr) return 0;
  malloc_info(0, stream);
  fclose(stream);
  uint64_t arenas = 0;
  for (const char* p = text; p && (p = strstr(p, "<heap nr=")) != nullptr; ++p) ++arenas;
  free(text);
  return arenas;
}

}  // namespace

void ReadProcessIdentity(const ReentrancyGuard&, ProcessInfo* out) {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) out->host = host;
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) out->executable.assign(exe, static_cast<size_t>(n));
  BulkString cmdline = ReadSmallFile("/proc/self/cmdline");
  out->args.clear();
  for (size_t start = 0; start < cmdline.size();) {
    size_t end = cmdline.find('\0', start);
    if (end == BulkString::npos) end = cmdline.size();
    out->args.emplace_back(cmdline.data() + start, end - start);
    start = end + 1;
  }
}

format::MemoryFixed ReadProcessMemory(const ReentrancyGuard&) {
  format::MemoryFixed memory{};
  BulkString status = ReadSmallFile("/proc/self/status");
  memory.rss_bytes = StatusField(status, "VmRSS:");
  memory.rss_peak_bytes = StatusField(status, "VmHWM:");
  memory.vm_bytes = StatusField(status, "VmSize:");
  MallocFigures info = ReadMallocFigures();
  memory.malloc_arena_bytes = info.arena;
  memory.malloc_mmap_bytes = info.hblkhd;
  memory.malloc_in_use_bytes = info.uordblks + info.hblkhd;
  memory.malloc_free_bytes = info.fordblks;
  memory.malloc_arena_count = CountArenas();
  return memory;
}

}  // namespace leakscope::recorder
