// SPDX-License-Identifier: Apache-2.0
// An ELF file opened read-only with libelf, and its symbol table sorted for range lookup.
#pragma once

#include <gelf.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace leakscope::analyzer {

class ElfFile {
 public:
  // Opens `path`; returns null when it cannot be opened or is not an ELF file.
  static std::unique_ptr<ElfFile> Open(const std::string& path);
  ~ElfFile();
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;

  Elf* elf() const { return elf_; }
  const std::string& path() const { return path_; }
  // Raw bytes of the GNU build-id note; empty when there is none.
  std::string BuildId() const;
  // The .gnu_debuglink file name and CRC; false when there is none.
  bool DebugLink(std::string* name, uint32_t* crc) const;
  // True when the file carries DWARF (.debug_info).
  bool HasDwarf() const;
  // True when the file has a .symtab with symbols.
  bool HasSymtab() const;
  // The DT_NEEDED entries of the dynamic section (shared libraries the loader must find), in
  // file order; empty for a static file.
  std::vector<std::string> Needed() const;
  // [start, end) virtual address ranges of the executable PT_LOAD segments.
  std::vector<std::pair<uint64_t, uint64_t>> ExecutableRanges() const;
  // The executable PT_LOAD segments: where each lies in memory and in the file.
  struct Segment {
    uint64_t vaddr, memsz, offset;
  };
  std::vector<Segment> ExecutableSegments() const;

 private:
  ElfFile(std::string path, int fd, Elf* elf) : path_(std::move(path)), fd_(fd), elf_(elf) {}
  std::string path_;
  int fd_;
  Elf* elf_;
};

// Function symbols of one module with their address ranges. An address is attributed to a
// symbol only when it lies in [start, start + size): an address outside every symbol (such as
// zlib's unexported zcalloc in a library with only .dynsym) has no name rather than the nearest
// exported one.
class SymbolTable {
 public:
  struct Symbol {
    uint64_t start;
    uint64_t size;
    std::string name;  // as in the file (mangled)
    bool global;
  };

  // Adds the function symbols of .symtab and .dynsym. Call Finish before Find.
  void AddFrom(const ElfFile& file);
  void Finish();
  // The symbol containing `address`, or null.
  const Symbol* Find(uint64_t address) const;
  size_t size() const { return symbols_.size(); }

 private:
  std::vector<Symbol> symbols_;
};

// Hex of raw bytes, e.g. a build-id.
std::string HexString(const std::string& bytes);

}  // namespace leakscope::analyzer
