// SPDX-License-Identifier: Apache-2.0
#include "symbolize/elf_file.h"

#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace leakscope::analyzer {

std::unique_ptr<ElfFile> ElfFile::Open(const std::string& path) {
  static const bool initialized = elf_version(EV_CURRENT) != EV_NONE;
  if (!initialized) return nullptr;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  if (elf == nullptr || elf_kind(elf) != ELF_K_ELF) {
    if (elf != nullptr) elf_end(elf);
    close(fd);
    return nullptr;
  }
  return std::unique_ptr<ElfFile>(new ElfFile(path, fd, elf));
}

ElfFile::~ElfFile() {
  elf_end(elf_);
  close(fd_);
}

std::string ElfFile::BuildId() const {
  const void* bytes = nullptr;
  ssize_t size = dwelf_elf_gnu_build_id(elf_, &bytes);
  if (size <= 0) return "";
  return std::string(static_cast<const char*>(bytes), static_cast<size_t>(size));
}

bool ElfFile::DebugLink(std::string* name, uint32_t* crc) const {
  GElf_Word word = 0;
  const char* link = dwelf_elf_gnu_debuglink(elf_, &word);
  if (link == nullptr || *link == '\0') return false;
  *name = link;
  *crc = word;
  return true;
}

namespace {

Elf_Scn* FindSection(Elf* elf, const char* wanted, GElf_Shdr* header) {
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) return nullptr;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    if (gelf_getshdr(scn, header) == nullptr) continue;
    const char* name = elf_strptr(elf, shstrndx, header->sh_name);
    if (name != nullptr && strcmp(name, wanted) == 0) return scn;
  }
  return nullptr;
}

}  // namespace

bool ElfFile::HasDwarf() const {
  GElf_Shdr header;
  Elf_Scn* scn = FindSection(elf_, ".debug_info", &header);
  if (scn == nullptr) scn = FindSection(elf_, ".zdebug_info", &header);
  return scn != nullptr && header.sh_type != SHT_NOBITS && header.sh_size > 0;
}

bool ElfFile::HasSymtab() const {
  GElf_Shdr header;
  Elf_Scn* scn = FindSection(elf_, ".symtab", &header);
  return scn != nullptr && header.sh_type == SHT_SYMTAB && header.sh_size > header.sh_entsize;
}

std::vector<std::string> ElfFile::Needed() const {
  std::vector<std::string> needed;
  for (Elf_Scn* scn = elf_nextscn(elf_, nullptr); scn != nullptr; scn = elf_nextscn(elf_, scn)) {
    GElf_Shdr header;
    if (gelf_getshdr(scn, &header) == nullptr || header.sh_type != SHT_DYNAMIC) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr || header.sh_entsize == 0) continue;
    for (size_t i = 0; i < header.sh_size / header.sh_entsize; ++i) {
      GElf_Dyn dyn;
      if (gelf_getdyn(data, static_cast<int>(i), &dyn) == nullptr) break;
      if (dyn.d_tag == DT_NULL) break;
      if (dyn.d_tag != DT_NEEDED) continue;
      const char* name = elf_strptr(elf_, header.sh_link, dyn.d_un.d_val);
      if (name != nullptr) needed.emplace_back(name);
    }
  }
  return needed;
}

std::vector<std::pair<uint64_t, uint64_t>> ElfFile::ExecutableRanges() const {
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const Segment& s : ExecutableSegments()) ranges.emplace_back(s.vaddr, s.vaddr + s.memsz);
  return ranges;
}

std::vector<ElfFile::Segment> ElfFile::ExecutableSegments() const {
  std::vector<Segment> segments;
  size_t count = 0;
  if (elf_getphdrnum(elf_, &count) != 0) return segments;
  for (size_t i = 0; i < count; ++i) {
    GElf_Phdr phdr;
    if (gelf_getphdr(elf_, static_cast<int>(i), &phdr) == nullptr) continue;
    if (phdr.p_type == PT_LOAD && (phdr.p_flags & PF_X) != 0) {
      segments.push_back(Segment{phdr.p_vaddr, phdr.p_memsz, phdr.p_offset});
    }
  }
  return segments;
}

void SymbolTable::AddFrom(const ElfFile& file) {
  Elf* elf = file.elf();
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr header;
    if (gelf_getshdr(scn, &header) == nullptr) continue;
    if (header.sh_type != SHT_SYMTAB && header.sh_type != SHT_DYNSYM) continue;
    if (header.sh_entsize == 0) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr) continue;
    size_t count = header.sh_size / header.sh_entsize;
    for (size_t i = 0; i < count; ++i) {
      GElf_Sym sym;
      if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) continue;
      int type = GELF_ST_TYPE(sym.st_info);
      if (type != STT_FUNC && type != STT_GNU_IFUNC) continue;
      if (sym.st_shndx == SHN_UNDEF || sym.st_size == 0) continue;
      const char* name = elf_strptr(elf, header.sh_link, sym.st_name);
      if (name == nullptr || *name == '\0') continue;
      int binding = GELF_ST_BIND(sym.st_info);
      symbols_.push_back(
          Symbol{sym.st_value, sym.st_size, name, binding == STB_GLOBAL || binding == STB_WEAK});
    }
  }
}

namespace {

// Among aliases at one address (malloc/__libc_malloc), the name a user expects: global before
// local, then without leading underscores, then shorter, then alphabetical (deterministic).
bool BetterAlias(const SymbolTable::Symbol& a, const SymbolTable::Symbol& b) {
  if (a.global != b.global) return a.global;
  bool a_underscore = a.name.starts_with('_') && !a.name.starts_with("_Z");
  bool b_underscore = b.name.starts_with('_') && !b.name.starts_with("_Z");
  if (a_underscore != b_underscore) return !a_underscore;
  if (a.name.size() != b.name.size()) return a.name.size() < b.name.size();
  return a.name < b.name;
}

}  // namespace

void SymbolTable::Finish() {
  std::sort(symbols_.begin(), symbols_.end(), [](const Symbol& a, const Symbol& b) {
    if (a.start != b.start) return a.start < b.start;
    return BetterAlias(a, b);
  });
  // Keep the best alias per start address, with the largest size seen there.
  std::vector<Symbol> unique;
  unique.reserve(symbols_.size());
  for (Symbol& sym : symbols_) {
    if (!unique.empty() && unique.back().start == sym.start) {
      unique.back().size = std::max(unique.back().size, sym.size);
      continue;
    }
    unique.push_back(std::move(sym));
  }
  symbols_ = std::move(unique);
}

const SymbolTable::Symbol* SymbolTable::Find(uint64_t address) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), address,
                             [](uint64_t a, const Symbol& s) { return a < s.start; });
  // Symbols rarely nest; look back a few entries for one whose range covers the address.
  for (int steps = 0; it != symbols_.begin() && steps < 4; ++steps) {
    --it;
    if (address - it->start < it->size) return &*it;
  }
  return nullptr;
}

std::string HexString(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 15]);
  }
  return hex;
}

}  // namespace leakscope::analyzer
