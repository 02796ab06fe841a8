// SPDX-License-Identifier: Apache-2.0
#include "elf_symbols.h"

#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace leakscope::testing {
namespace {

void ReadBuildId(Elf_Data* data, std::string* out) {
  size_t offset = 0;
  GElf_Nhdr note;
  size_t name_offset, desc_offset;
  while ((offset = gelf_getnote(data, offset, &note, &name_offset, &desc_offset)) > 0) {
    const char* base = static_cast<const char*>(data->d_buf);
    if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 &&
        memcmp(base + name_offset, "GNU", 4) == 0) {
      out->assign(base + desc_offset, note.n_descsz);
      return;
    }
  }
}

}  // namespace

ElfSymbols::ElfSymbols(const std::string& path) {
  elf_version(EV_CURRENT);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  if (elf == nullptr || elf_kind(elf) != ELF_K_ELF) {
    if (elf != nullptr) elf_end(elf);
    close(fd);
    return;
  }
  ok_ = true;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr) continue;
    if (shdr.sh_type == SHT_NOTE && build_id_.empty()) {
      if (Elf_Data* data = elf_getdata(scn, nullptr)) ReadBuildId(data, &build_id_);
      continue;
    }
    if (shdr.sh_type != SHT_SYMTAB && shdr.sh_type != SHT_DYNSYM) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr || shdr.sh_entsize == 0) continue;
    size_t count = shdr.sh_size / shdr.sh_entsize;
    for (size_t i = 0; i < count; ++i) {
      GElf_Sym sym;
      if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) continue;
      int type = GELF_ST_TYPE(sym.st_info);
      if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
          sym.st_size == 0) {
        continue;
      }
      const char* name = elf_strptr(elf, shdr.sh_link, sym.st_name);
      if (name == nullptr || *name == '\0') continue;
      symbols_.push_back({sym.st_value, sym.st_size, name});
      max_size_ = std::max<uint64_t>(max_size_, sym.st_size);
    }
  }
  std::sort(symbols_.begin(), symbols_.end(),
            [](const Symbol& a, const Symbol& b) { return a.start < b.start; });
  elf_end(elf);
  close(fd);
}

std::string ElfSymbols::FunctionAt(uint64_t vaddr) const {
  // Symbols may nest or alias; walk back from the last one starting at or below vaddr as far as
  // the largest symbol could reach.
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), vaddr,
                             [](uint64_t v, const Symbol& s) { return v < s.start; });
  while (it != symbols_.begin()) {
    --it;
    if (vaddr - it->start >= max_size_) break;
    if (vaddr < it->start + it->size) return it->name;
  }
  return "";
}

}  // namespace leakscope::testing
