// SPDX-License-Identifier: Apache-2.0
// Source lines and inlined frames of one module from its DWARF, through elfutils' libdw.
#pragma once

#include <elfutils/libdw.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "symbolize/elf_file.h"

namespace leakscope::analyzer {

struct SourceFrame {
  std::string function;  // demangled; empty when DWARF does not name it
  std::string file;
  uint32_t line = 0;
  bool inlined = false;      // inlined into the next frame
  std::string linkage_name;  // as the file names it (mangled); empty when DWARF has none
};

class DwarfInfo {
 public:
  // Reads the DWARF of `file` (kept open by the caller for the lifetime of this object). Loads a
  // dwz supplementary file (.gnu_debugaltlink) from next to the file or the build-id directories
  // in `debug_roots`. Returns null when the file has no usable DWARF.
  static std::unique_ptr<DwarfInfo> Open(const ElfFile& file,
                                         const std::vector<std::string>& debug_roots);
  ~DwarfInfo();
  DwarfInfo(const DwarfInfo&) = delete;
  DwarfInfo& operator=(const DwarfInfo&) = delete;

  // Appends the frames at ELF virtual address `address`, innermost (most deeply inlined) first,
  // ending with the function that contains it. Returns false when no compile unit covers it.
  bool Lookup(uint64_t address, std::vector<SourceFrame>* out);

  struct FunctionRange {
    uint64_t low;
    uint64_t high;
    Dwarf_Off die_offset;  // of the DW_TAG_subprogram
  };

 private:
  DwarfInfo(Dwarf* dwarf) : dwarf_(dwarf) {}
  void IndexUnits();
  // The function definition containing `address` in the unit at `unit` (whose DIE is `cu`);
  // the unit's functions are indexed on first use.
  const FunctionRange* FindFunction(Dwarf_Off unit, Dwarf_Die* cu, uint64_t address);
  // Appends the inlined instances and lexical blocks below `parent` containing `address`,
  // outermost first.
  void FindNested(Dwarf_Die* parent, uint64_t address, std::vector<Dwarf_Die>* chain);

  struct UnitRange {
    uint64_t low;
    uint64_t high;
    Dwarf_Off die_offset;  // of the compile unit DIE
  };
  Dwarf* dwarf_;
  std::unique_ptr<ElfFile> alt_file_;
  Dwarf* alt_dwarf_ = nullptr;
  // Sorted by `low`. Built from each unit's DW_AT_ranges/low_pc rather than .debug_aranges,
  // which clang does not emit by default.
  std::vector<UnitRange> units_;
  absl::flat_hash_map<Dwarf_Off, std::vector<FunctionRange>> functions_;  // by unit DIE offset
};

}  // namespace leakscope::analyzer
