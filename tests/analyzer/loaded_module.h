// SPDX-License-Identifier: Apache-2.0
// The module of this process that holds an address, described as the recorder describes it in a
// dump (kModule: lowest and highest PT_LOAD address, load bias, path, GNU build-id), so that
// tests can symbolize this process's own return addresses.
#pragma once

#include <elf.h>
#include <link.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>

#include "dump.h"

namespace leakscope::testing {

// Empty path when no module holds `address`. The main executable gets kModuleMain and its path
// from /proc/self/exe.
inline ModuleInfo LoadedModule(uintptr_t address) {
  struct Search {
    uintptr_t address;
    ModuleInfo module;
  } search{address, {}};
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        auto* s = static_cast<Search*>(data);
        uint64_t lo = UINT64_MAX, hi = 0;
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_LOAD) continue;
          lo = std::min<uint64_t>(lo, ph.p_vaddr);
          hi = std::max<uint64_t>(hi, ph.p_vaddr + ph.p_memsz);
        }
        if (s->address < info->dlpi_addr + lo || s->address >= info->dlpi_addr + hi) return 0;
        ModuleInfo& m = s->module;
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_NOTE) continue;
          const char* p = reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr);
          const char* end = p + ph.p_memsz;
          while (p + sizeof(ElfW(Nhdr)) <= end) {
            auto* note = reinterpret_cast<const ElfW(Nhdr)*>(p);
            const char* name = p + sizeof(*note);
            const char* desc = name + ((note->n_namesz + 3) & ~3u);
            if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 &&
                memcmp(name, "GNU", 4) == 0) {
              m.build_id.assign(desc, note->n_descsz);
            }
            p = desc + ((note->n_descsz + 3) & ~3u);
          }
        }
        m.fixed.start = info->dlpi_addr + lo;
        m.fixed.end = info->dlpi_addr + hi;
        m.fixed.bias = info->dlpi_addr;
        bool main = info->dlpi_name == nullptr || info->dlpi_name[0] == '\0';
        m.fixed.flags = main ? format::kModuleMain : 0;
        if (main) {
          char path[PATH_MAX];
          ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
          m.path.assign(path, n > 0 ? n : 0);
        } else {
          m.path = info->dlpi_name;
        }
        return 1;
      },
      &search);
  return search.module;
}

// The executable segment holding `address` as /proc/self/maps shows it (whole pages, the file
// offset of the first): what a pprof mapping of that code says. False when none holds it.
struct CodeMapping {
  uint64_t start = 0, limit = 0, offset = 0;
};
inline bool CodeMappingOf(uintptr_t address, CodeMapping* out) {
  struct Search {
    uintptr_t address;
    CodeMapping* out;
    bool found;
  } search{address, out, false};
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        auto* s = static_cast<Search*>(data);
        const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_LOAD || (ph.p_flags & PF_X) == 0) continue;
          uint64_t start = info->dlpi_addr + ph.p_vaddr;
          if (s->address < start || s->address >= start + ph.p_memsz) continue;
          s->out->start = start & ~(page - 1);
          s->out->limit = (start + ph.p_memsz + page - 1) & ~(page - 1);
          s->out->offset = ph.p_offset & ~(page - 1);
          s->found = true;
          return 1;
        }
        return 0;
      },
      &search);
  return search.found;
}

}  // namespace leakscope::testing
